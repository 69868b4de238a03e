import type { Request, Response, NextFunction } from 'express';
import { AppError, isAppError } from '../../domain/errors';
import { isDatabaseUnavailable } from '../../infra/mongo/db-errors';
import type { Logger } from '../../infra/telemetry/logger';
import { errorBody } from './error-body';

/** Errors thrown by body-parser carry a `type`; map them to the catalogue. */
function fromBodyParser(e: { type?: string; limit?: number }): AppError | undefined {
  switch (e.type) {
    case 'entity.parse.failed':
      return new AppError('VALIDATION_ERROR', 'Malformed JSON body', [{ field: 'body', message: 'is not valid JSON' }]);
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', undefined, [{ field: 'body', message: `exceeds the limit of ${e.limit} bytes` }]);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding');
    default:
      return undefined;
  }
}

/** The database unreachable or momentarily busy: the request may succeed again in a moment (also the gateway's mapping). */
export function fromDatabase(e: unknown): AppError | undefined {
  if (!isDatabaseUnavailable(e)) return undefined;
  return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable or busy; try again shortly', [], { 'Retry-After': '1' });
}

/** The one place errors become HTTP responses: the spec's error body, the catalogue's status. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const database = isAppError(err) ? undefined : fromDatabase(err);
    const appError = isAppError(err) ? err : fromBodyParser(err as { type?: string }) ?? database ?? new AppError('INTERNAL_ERROR');
    if (appError.code === 'INTERNAL_ERROR') log.error({ err, requestId: req.requestId, traceId: req.traceId }, 'unhandled error');
    else if (database) log.warn({ err, requestId: req.requestId, traceId: req.traceId }, 'database unavailable; answered 503');
    for (const [k, v] of Object.entries(appError.headers)) res.setHeader(k, v);
    res.status(appError.status).json(errorBody(appError, req.traceId));
  };
}

export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
}
