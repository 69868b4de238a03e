import type { InputSchema, OutputSchema, PropertySchema } from './types';

/**
 * Thrown when a version's inputSchema/outputSchema does not follow the feature-schema
 * convention; `problems` names each one ("inputSchema.properties.amount.type: ...").
 * A model server turns it into a failed load.
 */
export class FeatureSchemaError extends Error {
  constructor(readonly problems: string[]) {
    super(`feature schema is not usable: ${problems.join('; ')}`);
    this.name = 'FeatureSchemaError';
  }
}

const PROPERTY_TYPES = new Set(['number', 'integer', 'boolean', 'string', 'array']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks an inputSchema against the convention; returns it typed, or throws FeatureSchemaError listing every problem. */
export function assertInputSchema(schema: unknown): InputSchema {
  const problems: string[] = [];
  const at = 'inputSchema';
  if (!isObject(schema)) throw new FeatureSchemaError([`${at}: must be an object`]);
  if (schema.type !== 'object') problems.push(`${at}.type: must be "object"`);
  const properties = schema.properties;
  if (!isObject(properties)) problems.push(`${at}.properties: must be an object`);
  else for (const [name, prop] of Object.entries(properties)) checkProperty(prop, `${at}.properties.${name}`, problems);
  const required = schema.required;
  if (required !== undefined) {
    if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) problems.push(`${at}.required: must be an array of property names`);
    else if (isObject(properties)) for (const r of required) if (!(r in properties)) problems.push(`${at}.required: "${r}" is not a property`);
  }
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean')
    problems.push(`${at}.additionalProperties: must be a boolean`);
  const ext = schema['x-hotswap-tensor'];
  const extAt = `${at}.x-hotswap-tensor`;
  if (!isObject(ext)) problems.push(`${extAt}: is required (an object with name, encoding and order)`);
  else {
    if (typeof ext.name !== 'string' || ext.name === '') problems.push(`${extAt}.name: must name the ONNX input`);
    if (ext.encoding !== 'dense' && ext.encoding !== 'string') problems.push(`${extAt}.encoding: must be "dense" or "string"`);
    if (!Array.isArray(ext.order) || ext.order.length === 0 || !ext.order.every((o) => typeof o === 'string'))
      problems.push(`${extAt}.order: must be a non-empty array of property names`);
    else if (isObject(properties)) {
      const seen = new Set<string>();
      for (const name of ext.order) {
        if (seen.has(name)) problems.push(`${extAt}.order: "${name}" appears twice`);
        seen.add(name);
        const prop = properties[name];
        if (!isObject(prop)) {
          problems.push(`${extAt}.order: "${name}" is not a property`);
          continue;
        }
        if (ext.encoding === 'dense') checkDenseProperty(prop as unknown as PropertySchema, `${at}.properties.${name}`, problems);
      }
      if (ext.encoding === 'string') {
        if (ext.order.length !== 1) problems.push(`${extAt}.order: string encoding takes exactly one property`);
        else if (isObject(properties[ext.order[0]]) && (properties[ext.order[0]] as Record<string, unknown>).type !== 'string')
          problems.push(`${at}.properties.${ext.order[0]}.type: string encoding needs a string property`);
      }
    }
  }
  if (problems.length) throw new FeatureSchemaError(problems);
  return schema as unknown as InputSchema;
}

function checkProperty(prop: unknown, at: string, problems: string[]): void {
  if (!isObject(prop)) {
    problems.push(`${at}: must be an object`);
    return;
  }
  if (typeof prop.type !== 'string' || !PROPERTY_TYPES.has(prop.type)) {
    problems.push(`${at}.type: must be one of number, integer, boolean, string, array`);
    return;
  }
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const)
    if (prop[k] !== undefined && !isFiniteNumber(prop[k])) problems.push(`${at}.${k}: must be a number`);
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems'] as const)
    if (prop[k] !== undefined && !(Number.isInteger(prop[k]) && (prop[k] as number) >= 0)) problems.push(`${at}.${k}: must be a non-negative integer`);
  if (prop.enum !== undefined && (!Array.isArray(prop.enum) || prop.enum.length === 0)) problems.push(`${at}.enum: must be a non-empty array`);
  if (prop.type === 'array') {
    if (!isObject(prop.items)) problems.push(`${at}.items: must describe the array items`);
    else checkProperty(prop.items, `${at}.items`, problems);
  }
}

function checkDenseProperty(prop: PropertySchema, at: string, problems: string[]): void {
  switch (prop.type) {
    case 'string':
      if (!Array.isArray(prop.enum) || !prop.enum.every((e) => typeof e === 'string'))
        problems.push(`${at}.enum: a string in a dense tensor must be categorical (one-hot over its enum of strings)`);
      break;
    case 'array':
      if (!prop.items || (prop.items.type !== 'number' && prop.items.type !== 'integer'))
        problems.push(`${at}.items.type: arrays in a dense tensor must hold numbers`);
      if (!Number.isInteger(prop.minItems) || prop.minItems !== prop.maxItems)
        problems.push(`${at}: arrays in a dense tensor need a fixed length (minItems equal to maxItems)`);
      break;
    default:
      break;
  }
}

/** Checks an outputSchema's `x-hotswap-outputs`; returns it typed, or throws FeatureSchemaError. */
export function assertOutputSchema(schema: unknown): OutputSchema {
  const at = 'outputSchema.x-hotswap-outputs';
  if (!isObject(schema)) throw new FeatureSchemaError(['outputSchema: must be an object']);
  const ext = schema['x-hotswap-outputs'];
  if (!isObject(ext)) throw new FeatureSchemaError([`${at}: is required (task and output names)`]);
  const problems: string[] = [];
  if (ext.task === 'classification') {
    if (typeof ext.probabilitiesOutput !== 'string' || ext.probabilitiesOutput === '') problems.push(`${at}.probabilitiesOutput: must name an ONNX output`);
    if (ext.labelOutput !== undefined && (typeof ext.labelOutput !== 'string' || ext.labelOutput === '')) problems.push(`${at}.labelOutput: must name an ONNX output`);
    if (!Array.isArray(ext.classes) || ext.classes.length === 0 || !ext.classes.every((c) => typeof c === 'string' || typeof c === 'number'))
      problems.push(`${at}.classes: must be a non-empty array of class labels`);
    else if (new Set(ext.classes.map(String)).size !== ext.classes.length) problems.push(`${at}.classes: labels must be distinct`);
  } else if (ext.task === 'regression') {
    if (typeof ext.valueOutput !== 'string' || ext.valueOutput === '') problems.push(`${at}.valueOutput: must name an ONNX output`);
  } else problems.push(`${at}.task: must be "classification" or "regression"`);
  if (problems.length) throw new FeatureSchemaError(problems);
  return schema as OutputSchema;
}
