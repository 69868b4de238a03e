/**
 * A real world for the deployment activities: the api in-process (its inference gateway
 * heartbeats in `gateways`), the registry with fraud-detection versions from examples/, model
 * servers in-process heartbeating into the same database, and the activities built over the
 * same adapters the worker uses. Each test file gets its own database.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { ModelServerClient } from '../../activities/model-server-client';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { AuditRepository } from '../../infra/mongo/audit-repository';
import { DeploymentRepository } from '../../infra/mongo/deployment-repository';
import { GatewayRegistry } from '../../infra/mongo/gateway-registry';
import { readMetricWindow } from '../../infra/mongo/metric-bucket-repository';
import { ModelRepository } from '../../infra/mongo/model-repository';
import { PredictionLogRepository } from '../../infra/mongo/prediction-log-repository';
import { RoutingRepository } from '../../infra/mongo/routing-repository';
import { ServingHoldRepository } from '../../infra/mongo/serving-hold-repository';
import { ServerRegistry } from '../../infra/mongo/server-registry';
import { VersionRepository } from '../../infra/mongo/version-repository';
import { ApprovalNotifier, type NotificationChannel } from '../../infra/notifications/approval-notifier';
import { NotificationDispatcher } from '../../infra/notifications/webhook-dispatcher';
import { registerExample, startFleetServer, startGatewayApi, type GatewayApi, type RegisteredVersion } from '../helpers/gateway-harness';
import type { TestModelServer } from '../helpers/model-server-harness';

export type World = Awaited<ReturnType<typeof startWorld>>;

export const SAMPLE_SETS_DIR = join(__dirname, '..', '..', 'examples', 'models');

/** Runs one activity the way a worker would (activity context: heartbeats, cancellation, info). */
export function runActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  // Failures are what several tests expect: log only errors (HOTSWAP_TEST_TEMPORAL_LOG_LEVEL overrides).
  const logger = new DefaultLogger((process.env.HOTSWAP_TEST_TEMPORAL_LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR');
  return new MockActivityEnvironment({ workflowExecution: { workflowId: 'wf-test', runId: 'run-test' } }, { logger }).run(fn, ...args);
}

export async function startWorld(opts: { servers?: number; versions?: string[]; settings?: Partial<ActivityDeps['settings']>; channels?: NotificationChannel[]; apiEnv?: Record<string, string> } = {}) {
  const serviceToken = randomBytes(24).toString('base64url');
  const t: GatewayApi & { serviceToken: string } = await startGatewayApi({ serviceToken, env: { GATEWAY_ROUTING_POLL_MS: '50', GATEWAY_HEARTBEAT_MS: '200', METRICS_FLUSH_MS: '200', ...opts.apiEnv } });
  const admin = await t.tokenFor('Admin');
  const versions: Record<string, RegisteredVersion> = {};
  for (const v of opts.versions ?? ['1.0.0', '2.0.0']) versions[v] = await registerExample(t, admin, 'fraud-detection', v);
  const fleet: TestModelServer[] = [];
  for (let i = 0; i < (opts.servers ?? 2); i++) fleet.push(await startFleetServer(t, { SERVICE_TOKEN: serviceToken }));
  const db = t.api.mongo.db;
  const sent: unknown[] = [];
  const deps: ActivityDeps = {
    models: new ModelRepository(db),
    versions: new VersionRepository(db),
    artifacts: new FilesystemArtifactStore(t.artifactDir),
    routing: new RoutingRepository(db),
    gateways: new GatewayRegistry(db),
    servers: new ServerRegistry(db),
    holds: new ServingHoldRepository(db),
    deployments: new DeploymentRepository(db),
    readMetricWindow: (q) => readMetricWindow(db, q),
    predictions: new PredictionLogRepository(db),
    notifier: new ApprovalNotifier(db, opts.channels ?? [{ name: 'memory', send: async (r) => void sent.push(r) }]),
    // No webhooks: the events are only logged (test/integration/notifications-webhooks.test.ts sends them).
    dispatcher: new NotificationDispatcher(db, [], { info: () => undefined }),
    modelServers: new ModelServerClient(serviceToken),
    audit: new AuditRepository(db),
    settings: { serverHeartbeatTimeoutMs: 3000, routeConfirmTimeoutMs: 5000, metricsSettleMs: 300, sampleSetsDir: SAMPLE_SETS_DIR, ...opts.settings },
  };
  await deps.deployments.ensureIndexes();
  const modelId = versions[Object.keys(versions)[0]].modelId;
  return {
    t,
    admin,
    db,
    deps,
    activities: createActivities(deps),
    versions,
    modelId,
    fleet,
    serverIds: () => fleet.map((f) => f.serverId),
    /** Approval notifications the in-memory channel received. */
    sent,
    async close() {
      await Promise.all(fleet.map((f) => f.close().catch(() => undefined)));
      await t.close();
    },
  };
}
