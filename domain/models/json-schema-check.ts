import Ajv from 'ajv';
import type { ErrorDetail } from '../errors';

// One validator instance: compiling meta-schemas is the expensive part. strict:false lets
// schemas carry our own `x-hotswap-*` extension keywords (see examples/README.md).
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true });

/**
 * Checks that `schema` is a usable JSON Schema for an object of features or outputs:
 * valid against the JSON Schema meta-schema, compilable, and of `"type": "object"`.
 * Returns field-level details (empty when fine). Example:
 * checkObjectSchema({type:'object',properties:{a:{type:'nope'}}}, 'inputSchema')
 *   → [{field:'inputSchema', message:'is not a valid JSON Schema: ...'}]
 */
export function checkObjectSchema(schema: unknown, field: string): ErrorDetail[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [{ field, message: 'must be a JSON Schema object' }];
  if (!ajv.validateSchema(schema)) return [{ field, message: `is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}` }];
  try {
    ajv.compile(schema);
  } catch (e) {
    return [{ field, message: `is not a valid JSON Schema: ${(e as Error).message}` }];
  }
  if ((schema as { type?: unknown }).type !== 'object') return [{ field, message: 'must describe an object ("type": "object")' }];
  return [];
}
