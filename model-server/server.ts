import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../domain/errors';
import { serveMetrics, type ProcessMetrics } from '../infra/telemetry/metrics';
import type { Logger } from '../infra/telemetry/logger';
import { sendError, sendJson, sendOipError, toAppError } from './http-io';
import type { Readiness } from '../domain/serving/readiness';
import type { ModelServerMetrics } from './metrics';
import { handlePredict } from './native-routes';
import { serviceCredentialRequired } from './service-credential';
import type { VersionRegistry } from './version-registry';

export interface HandlerDeps {
  serverId: string;
  registry: VersionRegistry;
  control: (method: string, parts: string[], req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  v2: (method: string, parts: string[], req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  metrics: ModelServerMetrics;
  processMetrics: ProcessMetrics;
  metricsToken: string | undefined;
  /** The service-credential check (service-credential.ts): inference and control need it. */
  authorized: (req: IncomingMessage) => boolean;
  logger: Logger;
  isShuttingDown: () => boolean;
  startedAt: Date;
  /** Whether the versions assigned here are Ready (the reconciler's /health/ready). */
  readiness: () => Readiness;
}

/** Path segments, URL-decoded, without the query string; null when a segment is malformed. */
export function splitPath(url: string): string[] | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const raw = path.split('/');
  const parts: string[] = [];
  for (let i = 1; i < raw.length; i++) {
    const seg = raw[i];
    if (seg === '' && i === raw.length - 1) break; // trailing slash
    if (seg.indexOf('%') === -1) parts.push(seg);
    else {
      try {
        parts.push(decodeURIComponent(seg));
      } catch {
        return null;
      }
    }
  }
  return parts;
}

/** A route template for metrics: never raw model names or versions (cardinality). */
function routeOf(parts: string[]): string {
  switch (parts[0]) {
    case 'v1':
      return parts.length === 7 ? '/v1/models/:model/versions/:version/predict/batch' : '/v1/models/:model/versions/:version/predict';
    case 'v2': {
      if (parts[1] !== 'models') return `/${parts.slice(0, 3).join('/')}`;
      const versioned = parts[3] === 'versions';
      const tail = parts[versioned ? 5 : 3];
      return `/v2/models/:model${versioned ? '/versions/:version' : ''}${tail ? `/${tail === 'infer' || tail === 'ready' ? tail : ':other'}` : ''}`;
    }
    case 'control':
      return parts.length > 2 ? '/control/versions/:versionId' : '/control/versions';
    case 'health':
      return parts[1] === 'ready' ? '/health/ready' : '/health';
    case 'metrics':
      return `/${parts[0]}`;
    default:
      return 'unmatched';
  }
}

/**
 * The one request handler: a hand-written router over path segments (no framework on the
 * hot path). Inference: /v1 (native JSON) and /v2 (Open Inference Protocol); /control. Both
 * need the service token: a model server answers only the gateway and the worker, so no one
 * who reaches its port gets around the api's authentication, rate limits and prediction log.
 * Open: /health, /health/ready (readiness probe), the OIP health, server and model metadata and readiness routes; /metrics
 * (METRICS_TOKEN when set).
 */
export function createRequestHandler(d: HandlerDeps) {
  async function route(method: string, parts: string[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const head = parts[0];
    if (head === 'v1') {
      const n = parts.length;
      if (parts[1] === 'models' && parts[3] === 'versions' && parts[5] === 'predict' && (n === 6 || (n === 7 && parts[6] === 'batch'))) {
        if (method !== 'POST') throw new AppError('NOT_FOUND', 'Use POST for predictions', [], { allow: 'POST' });
        if (!d.authorized(req)) throw unauthorized(req);
        if (d.isShuttingDown()) throw shuttingDown();
        await handlePredict(d.registry, parts[2], parts[4], n === 7, req, res);
        return true;
      }
      return false;
    }
    if (head === 'v2') {
      // Every /v2 answer, errors included, has the protocol's body {"error": "<message>"}.
      try {
        // Only infer needs the credential: POST /v2/models/{m}[/versions/{v}]/infer.
        if (method === 'POST' && parts[parts.length - 1] === 'infer' && parts[1] === 'models' && !d.authorized(req)) throw unauthorized(req);
        if (d.isShuttingDown() && parts[1] === 'models') {
          res.setHeader('connection', 'close');
          sendOipError(res, 503, 'model server is shutting down');
          return true;
        }
        if (!(await d.v2(method, parts.slice(1), req, res))) sendOipError(res, 404, `no route for ${method} /${parts.join('/')}`);
      } catch (e) {
        const err = toAppError(e);
        if (err.code === 'INTERNAL_ERROR') d.logger.error({ err: e, method, url: req.url }, 'unhandled error');
        if (res.headersSent) res.destroy();
        else sendOipError(res, err.status, err.message, err.headers);
      }
      return true;
    }
    if (head === 'control') return d.control(method, parts.slice(1), req, res);
    if (head === 'health' && parts.length === 1 && method === 'GET') {
      const draining = d.isShuttingDown();
      const loaded = d.registry.all();
      sendJson(res, draining ? 503 : 200, {
        status: draining ? 'draining' : 'ok',
        serverId: d.serverId,
        loaded: loaded.length,
        ready: d.registry.readyCount,
        versions: loaded.map((h) => ({ versionId: h.spec.versionId, modelName: h.modelName, version: h.version, state: h.state })),
        uptimeSeconds: Math.round((Date.now() - d.startedAt.getTime()) / 1000),
      });
      return true;
    }
    if (head === 'health' && parts.length === 2 && parts[1] === 'ready' && method === 'GET') {
      // The readiness probe: 503 until the versions assigned here are Ready, and while draining.
      const r = d.isShuttingDown() ? { ready: false, waiting: [], reason: 'draining' } : d.readiness();
      sendJson(res, r.ready ? 200 : 503, { ready: r.ready, serverId: d.serverId, waiting: r.waiting, ...(r.reason ? { reason: r.reason } : {}) });
      return true;
    }
    if (head === 'metrics' && parts.length === 1 && method === 'GET') {
      const states = new Map<string, number>();
      for (const h of d.registry.all()) states.set(h.state, (states.get(h.state) ?? 0) + 1);
      d.metrics.loadedVersions.reset();
      for (const [state, n] of states) d.metrics.loadedVersions.set({ state }, n);
      await serveMetrics(d.processMetrics.registry, d.metricsToken, req, res);
      return true;
    }
    return false;
  }

  return function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const method = req.method ?? 'GET';
    const parts = splitPath(req.url ?? '/');
    const finish = () => d.metrics.observeHttp(method, parts ? routeOf(parts) : 'unmatched', res.statusCode, (performance.now() - start) / 1000);
    if (parts === null) {
      if (req.url?.startsWith('/v2')) sendOipError(res, 400, 'Malformed URL: a path segment is not valid percent-encoding');
      else sendError(res, new AppError('VALIDATION_ERROR', 'Malformed URL', [{ field: 'path', message: 'is not valid percent-encoding' }]));
      finish();
      return;
    }
    route(method, parts, req, res).then(
      (matched) => {
        if (!matched) sendError(res, new AppError('NOT_FOUND', `No route for ${method} /${parts.join('/')}`));
        finish();
      },
      (e: unknown) => {
        const err = toAppError(e);
        if (err.code === 'INTERNAL_ERROR') d.logger.error({ err: e, method, url: req.url }, 'unhandled error');
        if (res.headersSent) res.destroy();
        else {
          if (d.isShuttingDown()) res.setHeader('connection', 'close');
          sendError(res, err);
        }
        finish();
      },
    );
  };
}

function unauthorized(req: IncomingMessage): AppError {
  req.resume();
  return serviceCredentialRequired('Inference on a model server');
}

const shuttingDown = () => new AppError('SERVICE_UNAVAILABLE', 'Model server is shutting down', [], { 'retry-after': '1' });
