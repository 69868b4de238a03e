import type { ErrorCode } from '../domain/errors';

/**
 * Why a version failed to load. The control API answers 422 with `reason` (the message) and
 * the code, so the caller (a deployment activity) can tell a bad artifact from a bad schema.
 */
export class LoadError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The load-request field at fault (checksum, artifactKey, inputSchema, outputSchema, ...). */
    readonly field: string,
  ) {
    super(message);
    this.name = 'LoadError';
  }
}
