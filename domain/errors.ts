/**
 * The error catalogue: every error the product returns has a code, an HTTP status and a
 * default message, in one place. One middleware (api/http/error-handler.ts) maps them to the
 * spec's error body `{error:{code,message,details,traceId,timestamp}}`; Temporal failures map
 * through the same table (ApplicationFailure.type === code).
 */
export const ERROR_CATALOGUE = {
  VALIDATION_ERROR: { status: 400, message: 'Request validation failed' },
  SCHEMA_VALIDATION_ERROR: { status: 400, message: 'Input schema validation failed' },
  CHECKSUM_MISMATCH: { status: 400, message: 'Artifact checksum does not match the declared checksum' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid credentials' },
  FORBIDDEN: { status: 403, message: 'Insufficient permissions' },
  NOT_FOUND: { status: 404, message: 'Resource does not exist' },
  MODEL_NOT_FOUND: { status: 404, message: 'Model does not exist' },
  VERSION_NOT_FOUND: { status: 404, message: 'Model version does not exist' },
  ARTIFACT_NOT_FOUND: { status: 404, message: 'Artifact does not exist in the artifact store' },
  DEPLOYMENT_NOT_FOUND: { status: 404, message: 'Deployment does not exist' },
  CONFLICT: { status: 409, message: 'Resource already exists or is in use' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  RATE_LIMIT_EXCEEDED: { status: 429, message: 'Too many requests' },
  INSUFFICIENT_CAPACITY: { status: 507, message: 'Not enough memory on the model servers for this version' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  INFERENCE_ERROR: { status: 500, message: 'Model inference failed' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorDetail {
  field: string;
  message: string;
}

/** A typed product error. `details` carries field-level reasons for 4xx errors. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: ErrorDetail[] = [],
    /** Extra headers the edge must send (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'AppError';
    this.status = ERROR_CATALOGUE[code].status;
  }

  /** A VALIDATION_ERROR about one field. */
  static validation(field: string, message: string): AppError {
    return new AppError('VALIDATION_ERROR', `Invalid ${field}: ${message}`, [{ field, message }]);
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Shorthands for the errors raised most often. */
export const errors = {
  validation: (details: ErrorDetail[], message?: string) => new AppError('VALIDATION_ERROR', message, details),
  notFound: (code: 'MODEL_NOT_FOUND' | 'VERSION_NOT_FOUND' | 'ARTIFACT_NOT_FOUND' | 'DEPLOYMENT_NOT_FOUND' | 'NOT_FOUND', what: string) =>
    new AppError(code, `${ERROR_CATALOGUE[code].message}: ${what}`),
  conflict: (message: string, details: ErrorDetail[] = []) => new AppError('CONFLICT', message, details),
  unauthorized: (message?: string) => new AppError('UNAUTHORIZED', message),
  forbidden: (message?: string) => new AppError('FORBIDDEN', message),
};
