import client, { Registry } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One Prometheus registry per process: prom-client's default process metrics plus the HTTP
 * request metrics every process exports. Product metrics register on the same registry.
 */
export interface ProcessMetrics {
  registry: Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  /** Records one finished HTTP request; `route` must be a template, never a raw path (cardinality). */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
}

export function createProcessMetrics(service: string): ProcessMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    observeHttp: (method, route, status, seconds) => httpDuration.observe({ method, route, status: String(status) }, seconds),
  };
}

/**
 * Serves /metrics. When `token` is set the scrape must send `Authorization: Bearer <token>`
 * (Prometheus `authorization` config); otherwise metrics are open, as /health is.
 */
export async function serveMetrics(registry: Registry, token: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'metrics require the metrics token', details: [], traceId: null, timestamp: new Date().toISOString() } }));
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
}
