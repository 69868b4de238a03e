import type { Db } from 'mongodb';
import { createActivities } from './index';
import { ModelServerClient } from './model-server-client';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import type { WorkerConfig } from '../infra/config/schemas';
import { AuditRepository } from '../infra/mongo/audit-repository';
import { DeploymentRepository } from '../infra/mongo/deployment-repository';
import { GatewayRegistry } from '../infra/mongo/gateway-registry';
import { readMetricWindow } from '../infra/mongo/metric-bucket-repository';
import { ModelRepository } from '../infra/mongo/model-repository';
import { PredictionLogRepository } from '../infra/mongo/prediction-log-repository';
import { RoutingRepository } from '../infra/mongo/routing-repository';
import { ServerRegistry } from '../infra/mongo/server-registry';
import { ServingHoldRepository } from '../infra/mongo/serving-hold-repository';
import { VersionRepository } from '../infra/mongo/version-repository';
import { createApprovalNotifier } from '../infra/notifications/approval-notifier';
import { NotificationDispatcher } from '../infra/notifications/webhook-dispatcher';
import type { WebhookTarget } from '../infra/notifications/webhook-targets';
import type { Logger } from '../infra/telemetry/logger';

/**
 * The activities over the real adapters, from the worker's validated config and its webhooks with
 * their secrets resolved (infra/config/notify-webhooks.ts); tests build the same.
 */
export async function createWorkerActivities(config: Readonly<WorkerConfig>, db: Db, artifacts: ArtifactStore, log: Logger, webhooks: readonly WebhookTarget[]) {
  const deployments = new DeploymentRepository(db);
  await deployments.ensureIndexes();
  const holds = new ServingHoldRepository(db);
  await holds.ensureIndexes();
  const audit = new AuditRepository(db);
  await audit.ensureIndexes();
  return createActivities({
    models: new ModelRepository(db),
    versions: new VersionRepository(db),
    artifacts,
    routing: new RoutingRepository(db),
    gateways: new GatewayRegistry(db),
    servers: new ServerRegistry(db),
    holds,
    deployments,
    readMetricWindow: (q) => readMetricWindow(db, q),
    predictions: new PredictionLogRepository(db),
    notifier: createApprovalNotifier(db, log, config.APPROVAL_WEBHOOK_URL),
    dispatcher: new NotificationDispatcher(db, webhooks, log),
    modelServers: new ModelServerClient(config.SERVICE_TOKEN),
    audit,
    settings: {
      serverHeartbeatTimeoutMs: config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS,
      routeConfirmTimeoutMs: config.ROUTE_CONFIRM_TIMEOUT_MS,
      metricsSettleMs: config.METRICS_SETTLE_MS,
      sampleSetsDir: config.SAMPLE_SETS_DIR,
      placement: config.SERVING_PLACEMENT,
    },
  });
}
