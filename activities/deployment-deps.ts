/**
 * The ports the deployment activities are built over. The worker passes the real adapters;
 * tests pass the same adapters over the test services (or fakes where that is the point).
 */
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import type { AuditRepository } from '../infra/mongo/audit-repository';
import type { DeploymentRepository } from '../infra/mongo/deployment-repository';
import type { GatewayRegistry } from '../infra/mongo/gateway-registry';
import type { MetricWindow, MetricWindowQuery } from '../infra/mongo/metric-bucket-repository';
import type { ModelRepository } from '../infra/mongo/model-repository';
import type { PredictionLogRepository } from '../infra/mongo/prediction-log-repository';
import type { RoutingRepository } from '../infra/mongo/routing-repository';
import type { ServerRegistry } from '../infra/mongo/server-registry';
import type { ServingHoldRepository } from '../infra/mongo/serving-hold-repository';
import type { PlacementMap } from '../domain/serving/placement';
import type { VersionRepository } from '../infra/mongo/version-repository';
import type { ApprovalNotifier } from '../infra/notifications/approval-notifier';
import type { NotificationDispatcher } from '../infra/notifications/webhook-dispatcher';
import type { ModelServerClient } from './model-server-client';

export interface DeploymentActivitySettings {
  /** A model server silent this long is not a target (MODEL_SERVER_HEARTBEAT_TIMEOUT_MS). */
  serverHeartbeatTimeoutMs: number;
  /** How long applyRoute waits for every live gateway to serve the new revision (ROUTE_CONFIRM_TIMEOUT_MS). */
  routeConfirmTimeoutMs: number;
  /** Metric reads wait until this long after a window's end, so every gateway has flushed its buckets (METRICS_SETTLE_MS). */
  metricsSettleMs: number;
  /** Folder of example sample sets, `<dir>/<modelName>/<version>/samples.json` (SAMPLE_SETS_DIR); the fallback after the artifact store. */
  sampleSetsDir: string | null;
  /** Which pool serves each environment, on how many servers (SERVING_PLACEMENT); default: every server of pool "default". */
  placement?: PlacementMap;
}

export interface DeploymentActivityDeps {
  models: ModelRepository;
  versions: VersionRepository;
  artifacts: ArtifactStore;
  routing: RoutingRepository;
  gateways: Pick<GatewayRegistry, 'waitForRevision'>;
  servers: Pick<ServerRegistry, 'live'>;
  /** Part of the desired state: what running deployments warmed or unloaded on which server. */
  holds: ServingHoldRepository;
  deployments: DeploymentRepository;
  /** Sums metric buckets over a window (infra/mongo/metric-bucket-repository readMetricWindow). */
  readMetricWindow(q: MetricWindowQuery): Promise<MetricWindow>;
  predictions: PredictionLogRepository;
  notifier: Pick<ApprovalNotifier, 'approvalNeeded'>;
  /** Notification events to the webhooks of their environment (NOTIFY_WEBHOOKS). */
  dispatcher: Pick<NotificationDispatcher, 'dispatch'>;
  modelServers: ModelServerClient;
  /** The audit trail: workflow decisions are appended by recordDeploymentStatus. */
  audit: Pick<AuditRepository, 'append'>;
  settings: DeploymentActivitySettings;
  /** Wall clock (tests may pin it). */
  now?: () => Date;
}
