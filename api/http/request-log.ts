import type { Request, Response, NextFunction } from 'express';
import type { Logger } from '../../infra/telemetry/logger';

/** One structured line per request, carrying request id, trace id and the principal. */
export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      log.info(
        {
          requestId: req.requestId,
          traceId: req.traceId,
          method: req.method,
          route: res.locals.routeTemplate as string | undefined,
          path: req.path,
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - start) / 1e6,
          principal: req.principal?.username,
        },
        'request',
      );
    });
    next();
  };
}
