import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { AppError } from '../../domain/errors';
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS, normalizeEnvironment } from '../../domain/routing/environments';
import type { ApiConfig } from '../../infra/config/schemas';
import { GatewayRegistry } from '../../infra/mongo/gateway-registry';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { RoutingRepository } from '../../infra/mongo/routing-repository';
import type { ServerRegistry } from '../../infra/mongo/server-registry';
import type { VersionRepository } from '../../infra/mongo/version-repository';
import type { Logger } from '../../infra/telemetry/logger';
import { startRequestSpan, type RequestSpan } from '../../infra/telemetry/tracing';
import { AsyncRequestStore, type AsyncRequestDoc } from './async-request-store';
import { AsyncWorkerPool } from './async-workers';
import { startAsyncExpiry } from './async-expiry';
import { AuthGate, type HeaderAuth } from './auth-gate';
import { Coalescer } from './coalescer';
import { GatewayMetrics } from './gateway-metrics';
import { readBody } from '../../infra/http/read-body';
import { incomingTraceparent, parseJsonObject, queryParam, requestIdOf, sendPayload } from './lean-http';
import { INFERENCE_PREFIX, leanRoute, type LeanRoute } from './lean-paths';
import { ModelCatalog } from './model-catalog';
import { validateNativeBody } from './native-body';
import { asAppError, NativeInference, type NativeKind } from './native-inference';
import { OipV2Handler } from './oip-v2-handler';
import type { PredictionSink } from './prediction-sink';
import { RouteTables } from './route-tables';
import { ServerDirectory } from './server-directory';
import { ShadowMirror } from './shadow-mirror';
import { TargetResolver } from './target-resolver';
import { VersionClient } from './version-client';
import { Explainer } from './explainer';
import type { ArtifactStore } from '../../infra/artifact-store/artifact-store';
import { errorBody } from '../http/error-body';

export type GatewayConfig = Pick<
  ApiConfig,
  | 'GATEWAY_ID'
  | 'SERVICE_TOKEN'
  | 'GATEWAY_MAX_BATCH_SIZE'
  | 'GATEWAY_ROUTING_POLL_MS'
  | 'GATEWAY_SERVER_POLL_MS'
  | 'GATEWAY_HEARTBEAT_MS'
  | 'GATEWAY_UPSTREAM_TIMEOUT_MS'
  | 'GATEWAY_AUTH_CACHE_MS'
  | 'GATEWAY_AUTH_STALE_MS'
  | 'GATEWAY_COALESCE_AFTER'
  | 'GATEWAY_COALESCE_MAX'
  | 'SHADOW_QUEUE_SIZE'
  | 'SHADOW_CONCURRENCY'
  | 'ASYNC_WORKERS'
  | 'ASYNC_POLL_MS'
  | 'ASYNC_STALE_MS'
  | 'ASYNC_MAX_ATTEMPTS'
  | 'ASYNC_RETENTION_HOURS'
  | 'RETENTION_SWEEP_MS'
  | 'MAX_BODY_BYTES'
  | 'MODEL_SERVER_HEARTBEAT_TIMEOUT_MS'
  | 'MODEL_SERVER_LAST_RESORT_MS'
  | 'PUBLIC_URL'
  | 'SAMPLE_SETS_DIR'
  | 'EXPLAIN_BACKGROUND_ROWS'
  | 'EXPLAIN_MAX_COALITIONS'
>;

export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  /** The api's Prometheus registry. */
  registry: Registry;
  db: Db;
  auth: HeaderAuth;
  sink: PredictionSink;
  models: ModelRepository;
  versions: VersionRepository;
  routing: RoutingRepository;
  servers: ServerRegistry;
  /** Where versions' sample sets (the explanations' background) are read. */
  artifacts: ArtifactStore;
}

const SPAN_NAMES: Record<LeanRoute['kind'], string> = {
  native: 'POST /api/v1/inference/{model}',
  status: 'GET /api/v1/inference/{requestId}/status',
  v2: 'gateway /v2',
};
const ASYNC_CLOSE_GRACE_MS = 5_000;
const SHADOW_CLOSE_GRACE_MS = 2_000;

/** `?explain=true|false`: explanations are per prediction, answered synchronously. */
function explainParam(value: string | undefined, kind: NativeKind, mode: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value !== 'true') throw AppError.validation('explain', 'must be true or false');
  if (kind === 'batch') throw AppError.validation('explain', 'explanations are per prediction: send single requests (POST /api/v1/inference/{model})');
  if (mode === 'async') throw AppError.validation('explain', 'explanations are answered synchronously: leave out mode=async');
  return true;
}

const headerOf = (req: IncomingMessage) => (name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * The inference gateway: the api's data plane, on the bare node:http path in front of the
 * Express app (api/server.ts hands it every request first; it takes only its own paths).
 *
 *   POST /api/v1/inference/{model}[/batch][?mode=async]   native JSON (spec shapes)
 *   GET  /api/v1/inference/{requestId}/status              async results
 *   /v2/...                                                Open Inference Protocol v2
 *
 * Per request: cached authentication, the per-principal rate limit, routing-table choice,
 * least-outstanding balancing with one retry elsewhere, then — after the answer is written —
 * the prediction sink, metrics, shadow mirroring and the prediction cache.
 */
export class InferenceGateway {
  readonly id: string;
  readonly metrics: GatewayMetrics;
  readonly directory: ServerDirectory;
  readonly tables: RouteTables;
  readonly shadow: ShadowMirror;
  readonly asyncStore: AsyncRequestStore;
  readonly asyncPool: AsyncWorkerPool;
  readonly gatewayRegistry: GatewayRegistry;
  private readonly gate: AuthGate;
  private readonly resolver: TargetResolver;
  private readonly inference: NativeInference;
  private readonly v2: OipV2Handler;
  private serverTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: GatewayDeps) {
    const { config, log } = deps;
    this.id = config.GATEWAY_ID ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.metrics = new GatewayMetrics(deps.registry);
    this.directory = new ServerDirectory({
      // Servers heard from within MODEL_SERVER_LAST_RESORT_MS stay a last resort (panic mode; 0 = off).
      liveServers: () => deps.servers.live(Math.max(config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS, config.MODEL_SERVER_LAST_RESORT_MS)),
      freshWithinMs: config.MODEL_SERVER_LAST_RESORT_MS > 0 ? config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS : undefined,
      serviceToken: config.SERVICE_TOKEN,
      log,
    });
    this.gatewayRegistry = new GatewayRegistry(deps.db);
    this.tables = new RouteTables({
      repo: deps.routing,
      directory: this.directory,
      registry: this.gatewayRegistry,
      metrics: this.metrics,
      log,
      gatewayId: this.id,
      pollMs: config.GATEWAY_ROUTING_POLL_MS,
      heartbeatMs: config.GATEWAY_HEARTBEAT_MS,
    });
    this.gate = new AuthGate(deps.auth, config.GATEWAY_AUTH_CACHE_MS, Date.now, config.GATEWAY_AUTH_STALE_MS);
    this.resolver = new TargetResolver(this.tables, new ModelCatalog({ models: deps.models, versions: deps.versions }));
    const client = new VersionClient(this.directory, this.metrics, config.GATEWAY_UPSTREAM_TIMEOUT_MS);
    this.shadow = new ShadowMirror({ client, sink: deps.sink, metrics: this.metrics, log, queueSize: config.SHADOW_QUEUE_SIZE, concurrency: config.SHADOW_CONCURRENCY });
    const coalescer = new Coalescer({ client, directory: this.directory, metrics: this.metrics }, { inFlightPerServer: config.GATEWAY_COALESCE_AFTER, maxRows: config.GATEWAY_COALESCE_MAX });
    const explainer = new Explainer({
      versions: deps.versions,
      sampleSets: { artifacts: deps.artifacts, sampleSetsDir: config.SAMPLE_SETS_DIR },
      client,
      backgroundRows: config.EXPLAIN_BACKGROUND_ROWS,
      maxCoalitions: config.EXPLAIN_MAX_COALITIONS,
    });
    this.inference = new NativeInference({ resolver: this.resolver, coalescer, client, explainer, shadow: this.shadow, sink: deps.sink, metrics: this.metrics, log });
    this.v2 = new OipV2Handler({
      gate: this.gate,
      resolver: this.resolver,
      client,
      shadow: this.shadow,
      sink: deps.sink,
      metrics: this.metrics,
      log,
      maxBodyBytes: config.MAX_BODY_BYTES,
      environmentOf: (req, query) => this.environmentOf(req, query),
      ready: () => this.tables.loaded,
      routes: () => this.tables.all(),
      served: (versionId) => this.directory.has(versionId),
    });
    this.asyncStore = new AsyncRequestStore(deps.db);
    this.asyncPool = new AsyncWorkerPool({
      store: this.asyncStore,
      process: (doc) => this.processAsync(doc),
      log,
      workerId: this.id,
      workers: config.ASYNC_WORKERS,
      pollMs: config.ASYNC_POLL_MS,
      staleMs: config.ASYNC_STALE_MS,
    });
  }

  async start(): Promise<void> {
    await this.asyncStore.ensureIndexes();
    await this.directory.refresh();
    await this.tables.start();
    this.serverTimer = setInterval(() => void this.directory.refresh(), this.deps.config.GATEWAY_SERVER_POLL_MS);
    this.serverTimer.unref();
    this.asyncPool.start();
    this.asyncExpiry = startAsyncExpiry(this.asyncStore, { retentionMs: this.asyncRetentionMs(), sweepMs: this.deps.config.RETENTION_SWEEP_MS, log: this.deps.log });
  }

  private asyncExpiry: { stop(): void } | null = null;
  private asyncRetentionMs(): number {
    return this.deps.config.ASYNC_RETENTION_HOURS * 3_600_000;
  }

  async close(): Promise<void> {
    if (this.serverTimer) clearInterval(this.serverTimer);
    this.asyncExpiry?.stop();
    await this.asyncPool.close(ASYNC_CLOSE_GRACE_MS);
    await this.tables.close();
    await Promise.race([this.shadow.idle(), new Promise((r) => setTimeout(r, SHADOW_CLOSE_GRACE_MS).unref())]);
    this.directory.close();
  }

  /** Takes the request when it is a gateway path (true), else leaves it to the caller (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const route = leanRoute(req.method ?? 'GET', req.url ?? '/');
    if (!route) return false;
    // The api's OpenTelemetry HTTP instrumentation ignores these paths (api/main.ts): this is
    // their one span, parented by the caller's traceparent, passed on to the model server.
    const span = startRequestSpan(SPAN_NAMES[route.kind], incomingTraceparent(req));
    let p: Promise<void>;
    if (route.kind === 'native') p = this.native(req, res, route.modelName, route.native, route.query, span);
    else if (route.kind === 'status') p = this.status(req, res, route.id, span);
    else p = this.v2.handle(req.method ?? 'GET', route.parts, route.query, req, res, span);
    this.guard(p, req, res, span);
    return true;
  }

  /** Records an outcome; a bug there never costs the caller the answer. */
  private finishQuietly(outcome: { finish(): void }): void {
    try {
      outcome.finish();
    } catch (err) {
      this.deps.log.error({ err }, 'gateway: recording an outcome failed');
    }
  }

  /** Ends the span once the handler is done; every handler catches its own errors, this only guards against bugs. */
  private guard(p: Promise<void>, req: IncomingMessage, res: ServerResponse, span: RequestSpan): void {
    p.then(
      () => span.end(res.statusCode),
      (e: unknown) => {
        this.deps.log.error({ err: e, url: req.url }, 'gateway: handler crashed');
        if (!res.headersSent) sendPayload(res, 500, JSON.stringify(errorBody(new AppError('INTERNAL_ERROR'), span.traceId)));
        else res.destroy();
        span.end(500);
      },
    );
  }

  environmentOf(req: IncomingMessage, query: string): string {
    const header = req.headers['x-hotswap-environment'];
    const name = typeof header === 'string' ? header : queryParam(query, 'environment');
    if (name === undefined) return DEFAULT_ENVIRONMENT;
    const env = normalizeEnvironment(name);
    if (!env) throw AppError.validation('environment', `must be one of ${ENVIRONMENTS.join(', ')}`);
    return env;
  }

  private async native(req: IncomingMessage, res: ServerResponse, modelName: string, kind: NativeKind, query: string, span: RequestSpan): Promise<void> {
    const arrivedAt = Date.now();
    const t0 = performance.now();
    const requestId = requestIdOf(req);
    const traceId = span.traceId ?? requestId;
    try {
      const principal = this.gate.cached(req, 'inference:run') ?? (await this.gate.authenticate(req, 'inference:run'));
      this.gate.limit(principal);
      const environment = this.environmentOf(req, query);
      const mode = queryParam(query, 'mode');
      if (mode !== undefined && mode !== 'sync' && mode !== 'async') throw AppError.validation('mode', 'must be sync or async');
      const explain = explainParam(queryParam(query, 'explain'), kind, mode);
      const body = await readBody(req, this.deps.config.MAX_BODY_BYTES);
      const { input, pinned } = validateNativeBody(parseJsonObject(body), kind, this.deps.config.GATEWAY_MAX_BATCH_SIZE);
      const traceparent = span.traceparent;
      if (mode === 'async') {
        await this.accept(req, res, { kind, modelName, environment, body, requestId, traceId, traceparent, principalId: principal.id, arrivedAt });
        return;
      }
      const outcome = await this.inference.run({ kind, modelName, environment, pinned, header: headerOf(req), body, input, explain, requestId, traceId, traceparent, arrivedAt, t0 });
      // Recorded (and journaled) before the answer leaves: a crash after it loses no prediction.
      this.finishQuietly(outcome);
      sendPayload(res, outcome.status, outcome.payload, outcome.headers);
    } catch (e) {
      const err = asAppError(e, this.deps.log);
      if (!req.complete) req.resume();
      sendPayload(res, err.status, JSON.stringify(errorBody(err, traceId)), { ...err.headers, 'x-request-id': requestId });
      this.metrics.observe('unknown', '', '', err.status, (performance.now() - t0) / 1000);
      this.metrics.error('unknown', '', '', err.code);
    }
  }

  private statusUrl(id: string): string {
    return `${this.deps.config.PUBLIC_URL?.replace(/\/$/, '') ?? ''}${INFERENCE_PREFIX}${encodeURIComponent(id)}/status`;
  }

  private async accept(
    req: IncomingMessage,
    res: ServerResponse,
    a: { kind: NativeKind; modelName: string; environment: string; body: Buffer; requestId: string; traceId: string; traceparent: string | undefined; principalId: string; arrivedAt: number },
  ): Promise<void> {
    if (!(await this.resolver.modelExists(a.modelName, a.environment))) throw new AppError('MODEL_NOT_FOUND', `Model does not exist: ${a.modelName}`);
    const stickyHeader = this.resolver.stickyHeaderOf(a.modelName, a.environment);
    const stickyValue = stickyHeader === null ? undefined : headerOf(req)(stickyHeader);
    const inserted = await this.asyncStore.insert({
      _id: a.requestId,
      kind: a.kind,
      modelName: a.modelName,
      environment: a.environment,
      body: a.body.toString('utf8'),
      sticky: stickyHeader !== null && stickyValue !== undefined ? { header: stickyHeader, value: stickyValue } : null,
      principalId: a.principalId,
      traceId: a.traceId,
      traceparent: a.traceparent ?? null,
      createdAt: new Date(a.arrivedAt),
      expiresAt: new Date(a.arrivedAt + this.asyncRetentionMs()),
    });
    if (!inserted) throw new AppError('CONFLICT', `Request id ${a.requestId} is already used`, [{ field: 'x-request-id', message: 'must be unique' }]);
    const statusUrl = this.statusUrl(a.requestId);
    sendPayload(res, 202, JSON.stringify({ requestId: a.requestId, status: 'Pending', statusUrl }), { location: statusUrl, 'x-request-id': a.requestId });
    this.asyncPool.kick();
  }

  private async status(req: IncomingMessage, res: ServerResponse, id: string, span: RequestSpan): Promise<void> {
    const traceId = span.traceId;
    try {
      const principal = this.gate.cached(req, 'inference:run') ?? (await this.gate.authenticate(req, 'inference:run'));
      req.resume();
      const doc = await this.asyncStore.get(id);
      // An expired request the sweep has not deleted yet is gone for the caller already.
      const expired = doc?.expiresAt !== undefined && doc.expiresAt.getTime() <= Date.now();
      if (!doc || expired || (doc.principalId !== principal.id && principal.role !== 'Admin')) throw new AppError('NOT_FOUND', `Async inference request does not exist: ${id}`);
      const view: Record<string, unknown> = {
        requestId: doc._id,
        status: doc.status,
        modelName: doc.modelName,
        environment: doc.environment,
        attempts: doc.attempts,
        createdAt: doc.createdAt.toISOString(),
        updatedAt: doc.updatedAt.toISOString(),
        statusUrl: this.statusUrl(doc._id),
      };
      if (doc.completedAt) view.completedAt = doc.completedAt.toISOString();
      if (doc.expiresAt) view.expiresAt = doc.expiresAt.toISOString();
      if (doc.status === 'Completed') view.result = doc.result;
      if (doc.status === 'Failed') view.error = { ...doc.error, httpStatus: doc.httpStatus };
      sendPayload(res, 200, JSON.stringify(view), { 'cache-control': 'no-store' });
    } catch (e) {
      const err = asAppError(e, this.deps.log);
      req.resume();
      sendPayload(res, err.status, JSON.stringify(errorBody(err, traceId)), err.headers);
    }
  }

  /** One claimed async request: run it like a synchronous one; "no server right now" retries later with back-off. */
  private async processAsync(doc: AsyncRequestDoc): Promise<{ retry: false } | { retry: true; afterMs: number }> {
    const body = Buffer.from(doc.body, 'utf8');
    let input: unknown;
    let pinned: string | undefined;
    try {
      ({ input, pinned } = validateNativeBody(parseJsonObject(body), doc.kind, Number.MAX_SAFE_INTEGER));
    } catch (e) {
      const err = asAppError(e, this.deps.log);
      await this.asyncStore.fail(doc, err.status, { code: err.code, message: err.message, details: err.details });
      return { retry: false };
    }
    const sticky = doc.sticky;
    const outcome = await this.inference.run({
      kind: doc.kind,
      modelName: doc.modelName,
      environment: doc.environment,
      pinned,
      header: (name) => (sticky && sticky.header === name ? sticky.value : undefined),
      body,
      input,
      explain: false,
      requestId: doc._id,
      traceId: doc.traceId,
      traceparent: doc.traceparent ?? undefined,
      arrivedAt: doc.createdAt.getTime(),
      t0: performance.now(),
    });
    if (outcome.status === 503 && doc.attempts < this.deps.config.ASYNC_MAX_ATTEMPTS) return { retry: true, afterMs: Math.min(250 * 2 ** (doc.attempts - 1), 5_000) };
    if (outcome.status === 200) await this.asyncStore.complete(doc, outcome.result);
    else await this.asyncStore.fail(doc, outcome.status, outcome.error!);
    outcome.finish();
    return { retry: false };
  }
}
