import { AppError, ERROR_CATALOGUE, type ErrorCode, type ErrorDetail } from '../../domain/errors';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetail[]; traceId: string | null; timestamp: string };
}

/** The spec's error body, built the same way by the Express edge and the lean inference path. */
export function errorBody(e: AppError, traceId: string | undefined, now = new Date()): ErrorBody {
  return { error: { code: e.code, message: e.message, details: e.details, traceId: traceId ?? null, timestamp: now.toISOString() } };
}

export function statusOf(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}
