import type { Request, Response, NextFunction } from 'express';
import type { ProcessMetrics } from '../../infra/telemetry/metrics';

/** Records http_request_duration_seconds by route template (never the raw path). */
export function httpMetrics(metrics: ProcessMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      // Catalogued routes label themselves; the rest (health, metrics, docs) use Express's own path.
      const route = (res.locals.routeTemplate as string | undefined) ?? (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');
      metrics.observeHttp(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
