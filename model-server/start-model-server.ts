import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { withTimeout } from '../infra/async/with-timeout';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import type { ModelServerConfig } from '../infra/config/schemas';
import type { ServerRegistry } from '../infra/mongo/server-registry';
import { createLogger, type Logger } from '../infra/telemetry/logger';
import { createProcessMetrics, type ProcessMetrics } from '../infra/telemetry/metrics';
import { createControlRoutes, DEFAULT_DRAIN_TIMEOUT_MS } from './control-routes';
import { Heartbeat } from './heartbeat';
import { memoryBudgetBytes } from './memory-budget';
import { Reconciler, type ReconcilerDeps } from './reconciler';
import { defaultServerId } from './server-id';
import { createModelServerMetrics } from './metrics';
import { createOipV2Routes } from './oip-v2-routes';
import { createRequestHandler } from './server';
import { serviceCredentialCheck } from './service-credential';
import { VersionRegistry } from './version-registry';

/** After draining, how long open sockets may take to finish their last response. */
const SOCKET_GRACE_MS = 1000;
/**
 * How long shutdown waits for each write to the server registry (the "draining" beat, the
 * removal). A database that is slow or unreachable must not hold a stopping server: gateways
 * drop a server whose heartbeat goes stale, and retry a request it refuses on another server.
 */
const REGISTRY_CLOSE_BUDGET_MS = 3000;

export interface ModelServerDeps {
  artifactStore: ArtifactStore;
  /** Where heartbeats go; without it the server does not heartbeat (tests of the data plane). */
  serverRegistry?: ServerRegistry;
  logger?: Logger;
  /** One registry per process; tests starting several servers in one process pass their own. */
  processMetrics?: ProcessMetrics;
  /** Bound on waiting for in-flight requests when unloading a version or shutting down. */
  drainTimeoutMs?: number;
  /**
   * Where the desired state is read (with serverRegistry: the server reconciles to it). Without
   * it the server holds only what its control API loads (tests of the data plane).
   */
  desiredState?: Pick<ReconcilerDeps, 'source' | 'versions'>;
}

export interface RunningModelServer {
  url: string;
  port: number;
  server: Server;
  registry: VersionRegistry;
  heartbeat: Heartbeat | null;
  reconciler: Reconciler | null;
  /** The id it reports (MODEL_SERVER_ID, or derived from host and port). */
  serverId: string;
  processMetrics: ProcessMetrics;
  /**
   * Graceful stop (what SIGTERM does): report draining, refuse new requests with 503, wait
   * for in-flight requests, release every session, delete the server document, close.
   */
  close(): Promise<void>;
}

export async function startModelServer(config: Readonly<ModelServerConfig>, deps: ModelServerDeps): Promise<RunningModelServer> {
  const logger = deps.logger ?? createLogger('model-server', config.LOG_LEVEL);
  const processMetrics = deps.processMetrics ?? createProcessMetrics('model-server');
  const metrics = createModelServerMetrics(processMetrics);
  const drainTimeoutMs = deps.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let heartbeat: Heartbeat | null = null;
  const serverId = config.MODEL_SERVER_ID ?? defaultServerId(undefined, config.MODEL_SERVER_PORT);
  const budgetBytes = memoryBudgetBytes(config.MODEL_SERVER_MEMORY_BUDGET_MB);
  const registry = new VersionRegistry({
    memoryBudgetBytes: budgetBytes,
    artifactStore: deps.artifactStore,
    cacheDir: path.resolve(config.MODEL_SERVER_CACHE_DIR),
    logger,
    metrics,
    // Report a version change at once rather than at the next tick, so the api learns of it quickly.
    onChange: () => void heartbeat?.beat(),
  });
  const startedAt = new Date();
  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;

  // Set below once listening; a server without one (tests of the data plane) is ready when it listens.
  let reconciler: Reconciler | null = null;
  const authorized = serviceCredentialCheck(config.SERVICE_TOKEN);
  const handler = createRequestHandler({
    serverId,
    registry,
    control: createControlRoutes(config, registry, authorized, drainTimeoutMs),
    v2: createOipV2Routes(registry, isShuttingDown),
    metrics,
    processMetrics,
    metricsToken: config.METRICS_TOKEN,
    authorized,
    logger,
    isShuttingDown,
    startedAt,
    readiness: () => reconciler?.readiness() ?? { ready: true, waiting: [], reason: null },
  });
  const server = createServer({ keepAlive: true, noDelay: true }, handler);
  // Longer than the gateway's idle timeout, so the client side closes idle sockets first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.MODEL_SERVER_PORT, config.MODEL_SERVER_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.MODEL_SERVER_HOST === '0.0.0.0' || config.MODEL_SERVER_HOST === '::' ? '127.0.0.1' : config.MODEL_SERVER_HOST;
  const url = config.MODEL_SERVER_URL?.replace(/\/$/, '') ?? `http://${host}:${port}`;

  reconciler =
    deps.serverRegistry && deps.desiredState
      ? new Reconciler({
          ...deps.desiredState,
          serverId,
          pool: config.MODEL_SERVER_POOL,
          registry,
          loadDefaults: config,
          placement: config.SERVING_PLACEMENT,
          intervalMs: config.MODEL_SERVER_RECONCILE_MS,
          unloadGraceMs: config.MODEL_SERVER_UNLOAD_GRACE_MS,
          drainTimeoutMs,
          logger,
        })
      : null;
  heartbeat = deps.serverRegistry
    ? new Heartbeat(
        deps.serverRegistry,
        () => ({
          _id: serverId,
          url,
          pool: config.MODEL_SERVER_POOL,
          memoryBudgetBytes: budgetBytes,
          refused: reconciler?.refused() ?? [],
          loaded: registry.all().map((h) => ({ modelName: h.modelName, version: h.version, versionId: h.spec.versionId, state: h.state, ...(h.memoryBytes !== null ? { memoryBytes: h.memoryBytes } : {}) })),
          health: shuttingDown ? 'draining' : 'healthy',
          startedAt,
        }),
        config.MODEL_SERVER_HEARTBEAT_MS,
        logger,
      )
    : null;
  heartbeat?.start();
  reconciler?.start();
  logger.info({ url, serverId, pool: config.MODEL_SERVER_POOL, memoryBudgetMiB: Math.round(budgetBytes / 2 ** 20), heartbeat: heartbeat !== null, reconciling: reconciler !== null }, 'model server listening');

  const bounded = (p: Promise<void>, what: string) =>
    withTimeout(p, REGISTRY_CLOSE_BUDGET_MS).catch((e: unknown) => logger.warn({ err: e, serverId }, `shutdown: could not ${what} in time; going on (gateways drop a server whose heartbeat is stale)`));

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    shuttingDown = true;
    const t0 = performance.now();
    // Stop converging first: a stopping server must not start loads (bounded: the pass may be waiting on the database).
    if (reconciler) await bounded(reconciler.stop(), 'finish the reconcile pass');
    // Leave rotation first: the document says "draining" until it is removed below.
    if (heartbeat) await bounded(heartbeat.beat(), 'report draining');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await registry.unloadAll(drainTimeoutMs);
    if (heartbeat) await bounded(heartbeat.stop(true, serverId), 'remove the server document');
    // Let the last responses go out (and requests pipelined behind them get their 503 +
    // Connection: close): close sockets as they turn idle, and cut the rest after a grace period.
    const reaper = setInterval(() => server.closeIdleConnections(), 10);
    await Promise.race([closed, new Promise((r) => setTimeout(r, SOCKET_GRACE_MS))]);
    clearInterval(reaper);
    server.closeAllConnections();
    await closed;
    logger.info({ drainMs: Math.round(performance.now() - t0) }, 'model server stopped');
  }

  return {
    url,
    port,
    server,
    registry,
    heartbeat,
    reconciler,
    serverId,
    processMetrics,
    close: () => (closing ??= close()),
  };
}
