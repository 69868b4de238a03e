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
}

export interface RunningModelServer {
  url: string;
  port: number;
  server: Server;
  registry: VersionRegistry;
  heartbeat: Heartbeat | null;
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
  const registry = new VersionRegistry({
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

  const authorized = serviceCredentialCheck(config.SERVICE_TOKEN);
  const handler = createRequestHandler({
    serverId: config.MODEL_SERVER_ID,
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

  heartbeat = deps.serverRegistry
    ? new Heartbeat(
        deps.serverRegistry,
        () => ({
          _id: config.MODEL_SERVER_ID,
          url,
          loaded: registry.all().map((h) => ({ modelName: h.modelName, version: h.version, versionId: h.spec.versionId, state: h.state, ...(h.memoryBytes !== null ? { memoryBytes: h.memoryBytes } : {}) })),
          health: shuttingDown ? 'draining' : 'healthy',
          startedAt,
        }),
        config.MODEL_SERVER_HEARTBEAT_MS,
        logger,
      )
    : null;
  heartbeat?.start();
  logger.info({ url, serverId: config.MODEL_SERVER_ID, heartbeat: heartbeat !== null }, 'model server listening');

  const bounded = (p: Promise<void>, what: string) =>
    withTimeout(p, REGISTRY_CLOSE_BUDGET_MS).catch((e: unknown) => logger.warn({ err: e, serverId: config.MODEL_SERVER_ID }, `shutdown: could not ${what} in time; going on (gateways drop a server whose heartbeat is stale)`));

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    shuttingDown = true;
    const t0 = performance.now();
    // Leave rotation first: the document says "draining" until it is removed below.
    if (heartbeat) await bounded(heartbeat.beat(), 'report draining');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await registry.unloadAll(drainTimeoutMs);
    if (heartbeat) await bounded(heartbeat.stop(true, config.MODEL_SERVER_ID), 'remove the server document');
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
    processMetrics,
    close: () => (closing ??= close()),
  };
}
