import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { ApiConfig } from '../infra/config/schemas';
import { createLogger, type Logger } from '../infra/telemetry/logger';
import { createProcessMetrics } from '../infra/telemetry/metrics';
import { connectMongo, type MongoHandle } from '../infra/mongo/client';
import { ModelRepository } from '../infra/mongo/model-repository';
import { VersionRepository } from '../infra/mongo/version-repository';
import { RoutingRepository } from '../infra/mongo/routing-repository';
import type { Environment } from '../domain/routing/environments';
import { ServingHoldRepository } from '../infra/mongo/serving-hold-repository';
import { ServerRegistry } from '../infra/mongo/server-registry';
import { createArtifactStore } from '../infra/artifact-store/create-artifact-store';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import { TemporalGateway } from '../infra/temporal/connection';
import { createAuthModule } from './auth/auth-module';
import { createApp } from './app';
import { HealthService } from './services/health-service';
import { ModelRegistryService } from './services/model-registry-service';
import { modelRoutes } from './routes/model-routes';
import { routingRoutes } from './routes/routing-routes';
import { deploymentRoutes } from './routes/deployment-routes';
import { DeploymentService } from './services/deployment-service';
import { DeploymentRepository } from '../infra/mongo/deployment-repository';
import { readMetricWindow } from '../infra/mongo/metric-bucket-repository';
import { InferenceGateway } from './gateway/gateway';
import { noopPredictionSink } from './gateway/noop-sink';
import type { PredictionSink } from './gateway/prediction-sink';
import { RoutingAdminService } from './gateway/routing-admin-service';
import { inferenceDocs } from './gateway/inference-docs';
import { oipDocs } from './gateway/oip-docs';
import { startPredictionLog, type PredictionRecorder } from './prediction-log';
import { timedSteps } from '../infra/async/timed-steps';
import { AuditRepository } from '../infra/mongo/audit-repository';
import { AuditTrail } from './audit/audit-trail';
import { auditRoutes } from './routes/audit-routes';
import { dataDeletionRoutes } from './routes/data-deletion-routes';
import { DataDeletionService } from './services/data-deletion-service';
import { AsyncRequestStore } from './gateway/async-request-store';

/** How long in-flight requests get to finish at shutdown (idle keep-alive connections close at once). */
const HTTP_DRAIN_MS = 5_000;
/** How long audit appends still retrying get at shutdown (after that, AuditTrail has logged nothing yet: see its policy). */
const AUDIT_DRAIN_MS = 2_000;

export interface RunningApi {
  url: string;
  server: http.Server;
  mongo: MongoHandle;
  artifacts: ArtifactStore;
  temporal: TemporalGateway;
  catalogue: ReturnType<typeof createApp>['catalogue'];
  /** The inference data plane, in front of the Express app on the same server. */
  gateway: InferenceGateway;
  /** The prediction log and metric buckets (the gateway's sink; `record` it directly in tests). */
  predictions: PredictionRecorder;
  /** Set when this start created the bootstrap Admin with a generated password. */
  bootstrap: { username: string; generatedPassword?: string };
  /** Drains and closes everything; resolves with how long each step took (ms), for the shutdown log line. */
  close(): Promise<Record<string, number>>;
}

/**
 * Hands the gateway's requests to it before the server's `emit`, which OpenTelemetry's HTTP
 * instrumentation wraps (api/main.ts starts it): even for paths its ignore hook skips, the
 * wrapper enters a context and re-binds the request's and response's event methods, measured at
 * tens of µs per request. The gateway starts its own span (startRequestSpan); every other request
 * goes through the (possibly instrumented) emit to Express as before. Without telemetry this
 * changes nothing but the order of two checks.
 */
function bypassInstrumentationForGateway(server: http.Server, gateway: InferenceGateway): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the server as `this`
  const emit = server.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && gateway.handle(args[0] as http.IncomingMessage, args[1] as http.ServerResponse)) return true;
    return emit.apply(this, [event, ...args]);
  } as typeof server.emit;
}

async function probeServer(url: string, timeoutMs: number): Promise<void> {
  const res = await fetch(`${url.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

/**
 * Wires the api process from validated config: adapters, services, routes, HTTP(S) server.
 * Every prediction the gateway serves goes to the prediction log and metric buckets
 * (api/prediction-log); `sink`, when given, receives each one as well.
 */
export async function startApi(config: ApiConfig, log: Logger = createLogger('api', config.LOG_LEVEL), sink: PredictionSink = noopPredictionSink): Promise<RunningApi> {
  const metrics = createProcessMetrics('api');
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  const artifacts = createArtifactStore(config);
  await artifacts.init();
  const temporal = new TemporalGateway(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
  const servers = new ServerRegistry(mongo.db);

  const models = new ModelRepository(mongo.db);
  const versions = new VersionRepository(mongo.db);
  const routing = new RoutingRepository(mongo.db);
  await Promise.all([models.ensureIndexes(), versions.ensureIndexes(), routing.ensureIndexes()]);

  const auth = await createAuthModule({ config, db: mongo.db, log });
  const bootstrap = await auth.bootstrap();

  const auditRepository = new AuditRepository(mongo.db);
  await auditRepository.ensureIndexes();
  const audit = new AuditTrail(auditRepository, log);
  const predictionLog = await startPredictionLog({ config, db: mongo.db, log, registry: metrics.registry });
  const dataDeletion = new DataDeletionService({
    predictions: predictionLog.recorder.predictions,
    feedback: predictionLog.recorder.feedback,
    buckets: predictionLog.recorder.buckets,
    asyncRequests: new AsyncRequestStore(mongo.db),
    flushBuffered: () => predictionLog.recorder.flush(),
  });
  const registry = new ModelRegistryService({ models, versions, routing, artifacts, maxArtifactBytes: config.MAX_ARTIFACT_BYTES, purgeData: (m) => dataDeletion.purgeModel(m) });
  const health = new HealthService(
    {
      mongodb: mongo.ping,
      temporal: () => temporal.ping(),
      artifactStore: () => artifacts.ping(),
      modelServers: () => servers.all(),
      routingTables: async () => (await routing.all()).map((t) => ({ ...t, environment: t.environment as Environment })),
      probeServer,
    },
    config.HEALTH_TIMEOUT_MS,
    config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS,
  );

  const routingAdmin = new RoutingAdminService({ models, versions, routing, servers, holds: new ServingHoldRepository(mongo.db), heartbeatTimeoutMs: config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS, placement: config.SERVING_PLACEMENT, loadTimeoutMs: config.ROUTING_LOAD_TIMEOUT_MS });
  const deploymentRepository = new DeploymentRepository(mongo.db);
  await deploymentRepository.ensureIndexes();
  await deploymentRepository.markRunning();
  const deployments = new DeploymentService({
    temporal,
    deployments: deploymentRepository,
    models,
    versions,
    routing,
    servers,
    readMetricWindow: (q) => readMetricWindow(mongo.db, q),
    settings: {
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      temporalUiUrl: config.TEMPORAL_UI_URL,
      approvalTimeout: config.DEPLOYMENT_APPROVAL_TIMEOUT,
      queryTimeoutMs: config.DEPLOYMENT_QUERY_TIMEOUT_MS,
      commandTimeoutMs: config.DEPLOYMENT_COMMAND_TIMEOUT_MS,
      serverHeartbeatTimeoutMs: config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS,
    },
  });
  const features = [
    modelRoutes(registry, auth, config.MAX_BODY_BYTES),
    routingRoutes(routingAdmin),
    inferenceDocs(),
    oipDocs(),
    deploymentRoutes(deployments, auth),
    ...predictionLog.routes,
    dataDeletionRoutes(dataDeletion, models),
    auditRoutes(auditRepository),
  ];
  const { app, catalogue } = createApp({ config, log, metrics, auth, health, audit, features });
  const gateway = new InferenceGateway({ config, log, registry: metrics.registry, db: mongo.db, auth, sink: predictionLog.sinkWith(sink === noopPredictionSink ? undefined : sink), models, versions, routing, servers, artifacts });
  await gateway.start();
  // The lean data plane sees every request first and takes only its own paths; the rest is Express's.
  const handler: http.RequestListener = (req, res) => {
    if (!gateway.handle(req, res)) void app(req, res);
  };
  const server = config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? https.createServer({ cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }, handler)
    : http.createServer(handler);
  bypassInstrumentationForGateway(server, gateway);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.API_PORT, config.API_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const scheme = config.TLS_CERT_FILE ? 'https' : 'http';
  const url = `${scheme}://${config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST}:${port}`;

  return {
    url,
    server,
    mongo,
    artifacts,
    temporal,
    catalogue,
    gateway,
    predictions: predictionLog.recorder,
    bootstrap,
    close: async () => {
      const steps = timedSteps();
      await steps.run('http', () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Requests still running after this get their connections cut: the drain stays bounded.
          setTimeout(() => server.closeAllConnections(), HTTP_DRAIN_MS).unref();
        }),
      );
      await steps.run('gateway', () => gateway.close());
      await steps.run('predictionLog', () => predictionLog.close());
      await steps.run('audit', () => Promise.race([audit.drain(), new Promise<void>((r) => setTimeout(r, AUDIT_DRAIN_MS).unref())]));
      auth.close();
      await steps.run('temporal', () => temporal.close());
      await steps.run('artifacts', () => artifacts.close());
      await steps.run('mongo', () => mongo.close());
      return steps.ms;
    },
  };
}
