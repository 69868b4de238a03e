import { AppError, type ErrorDetail } from '../../domain/errors';
import type { NativeKind } from './native-inference';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_DETAILS = 20;

/**
 * Checks the shape of a native inference body — `{features, version?}` or
 * `{instances, version?}` with at most `maxBatch` instances — and returns its parts. The
 * features themselves are checked by the model server against the version's input schema
 * (400 SCHEMA_VALIDATION_ERROR naming each field).
 */
export function validateNativeBody(body: Record<string, unknown>, kind: NativeKind, maxBatch: number): { input: unknown; pinned: string | undefined } {
  const details: ErrorDetail[] = [];
  const field = kind === 'single' ? 'features' : 'instances';
  for (const key of Object.keys(body)) if (key !== field && key !== 'version') details.push({ field: key, message: 'is not a known field' });
  const version = body.version;
  if (version !== undefined && (typeof version !== 'string' || version.length === 0 || version.length > 200))
    details.push({ field: 'version', message: 'must be a version string such as "2.0.0"' });
  const input = body[field];
  if (kind === 'single') {
    if (!isObject(input)) details.push({ field: 'features', message: input === undefined ? 'is required' : 'must be an object of named features' });
  } else if (!Array.isArray(input) || input.length === 0) {
    details.push({ field: 'instances', message: input === undefined ? 'is required' : 'must be a non-empty array of feature objects' });
  } else if (input.length > maxBatch) {
    details.push({ field: 'instances', message: `must hold at most ${maxBatch} instances (got ${input.length})` });
  } else {
    for (let i = 0; i < input.length && details.length < MAX_DETAILS; i++)
      if (!isObject(input[i])) details.push({ field: `instances[${i}]`, message: 'must be an object of named features' });
  }
  if (details.length > 0) throw new AppError('VALIDATION_ERROR', 'Request validation failed', details);
  return { input, pinned: version as string | undefined };
}
