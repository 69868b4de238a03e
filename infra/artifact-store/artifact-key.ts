import { errors } from '../../domain/errors';

/** S3's key limit is 1024 bytes; keys here are ASCII, so characters equal bytes. */
export const MAX_KEY_LENGTH = 1024;
/** NAME_MAX on the filesystems we run on. */
export const MAX_SEGMENT_LENGTH = 255;
export const MAX_SEGMENTS = 16;
/**
 * Segments starting with "." are reserved for the filesystem store's temporary files, and the
 * top-level "tmp/" prefix for the S3 store's in-flight uploads; reserving both in every store
 * keeps the contract identical and makes a user key colliding with a temporary impossible.
 */
export const S3_TEMP_PREFIX = 'tmp/';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Why `key` is not a safe artifact key, or null when it is. Nothing is decoded or normalised:
 * "%2e%2e" is not "..", it is rejected for its "%" — what is validated is exactly what is stored.
 */
export function artifactKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return 'must be a string';
  if (key.length === 0) return 'must not be empty';
  if (key.length > MAX_KEY_LENGTH) return `must be at most ${MAX_KEY_LENGTH} characters`;
  if (key.includes('\0')) return 'must not contain NUL bytes';
  if (key.includes('\\')) return 'must not contain backslashes';
  if (key.startsWith('/')) return 'must be relative (no leading "/")';
  const segments = key.split('/');
  if (segments.length > MAX_SEGMENTS) return `must have at most ${MAX_SEGMENTS} segments`;
  for (const segment of segments) {
    if (segment === '') return 'must not contain empty segments ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'must not contain "." or ".." segments';
    if (segment.length > MAX_SEGMENT_LENGTH) return `segments must be at most ${MAX_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) return 'segments may only contain letters, digits, ".", "_" and "-"';
    if (segment.startsWith('.')) return 'segments must not start with "." (reserved for temporary files)';
  }
  if (key.startsWith(S3_TEMP_PREFIX)) return `must not start with "${S3_TEMP_PREFIX}" (reserved for uploads in progress)`;
  return null;
}

/** Returns `key` when safe, else throws VALIDATION_ERROR naming `field`. */
export function assertArtifactKey(key: string, field = 'artifactKey'): string {
  const problem = artifactKeyProblem(key);
  if (problem) throw errors.validation([{ field, message: `artifact key ${problem}` }]);
  return key;
}

/** The conventional key of a model version's ONNX file. */
export function modelArtifactKey(modelName: string, version: string, fileName = 'model.onnx'): string {
  return assertArtifactKey(`models/${modelName}/${version}/${fileName}`);
}

/** The VALIDATION_ERROR resolveReference raises for a reference it cannot accept. */
export function invalidReference(message: string) {
  return errors.validation([{ field: 'artifactPath', message }]);
}
