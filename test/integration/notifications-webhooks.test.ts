/**
 * Notification webhooks through the real services: the worker's activities (built from a worker
 * config with NOTIFY_WEBHOOKS, as worker/main.ts builds them) on the Temporal dev server, delivery
 * records in FerretDB, and a real HTTP receiver (node:http on a free port) that checks signatures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createWorkerActivities } from '../../activities/from-config';
import { initialDeploymentView } from '../../domain/deployments/deployment-status';
import { deploymentEvent, driftAlertEvent } from '../../domain/notifications/events';
import { summarize } from '../../domain/notifications/payloads';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { parseEnv } from '../../infra/config/load';
import { resolveWebhookSecrets } from '../../infra/config/notify-webhooks';
import { workerConfigSchema } from '../../infra/config/schemas';
import { createLogger } from '../../infra/telemetry/logger';
import { verifyWebhook } from '../../infra/notifications/webhook-signature';
import { createTestMongo, makeTestDir, testMongoUri, testTemporalAddress, uniqueTaskQueue, type TestMongo } from '../helpers/services';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import { runActivity } from './activities-world';

interface Received {
  receivedAt: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const SECRET = 'w'.repeat(40);
const received: Received[] = [];
/** Status codes to answer, per path, before answering 200. */
const script = new Map<string, number[]>();
let receiver: http.Server;
let mongo: TestMongo;
let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;
let worker: Worker;
let workerRun: Promise<void>;
let activities: Awaited<ReturnType<typeof createWorkerActivities>>;
const taskQueue = uniqueTaskQueue('notify');

beforeAll(async () => {
  installQuietTemporalRuntime();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ receivedAt: Date.now(), path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = script.get(req.url ?? '')?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const env = {
    MONGODB_URI: testMongoUri(),
    SERVICE_TOKEN: 's'.repeat(20),
    NOTIFY_WEBHOOKS: JSON.stringify({
      Production: [
        { url: `${base}/generic`, format: 'generic', secretEnv: 'TEST_HOOK_SECRET', name: 'ops' },
        { url: `${base}/slack`, format: 'slack', name: 'chat', events: ['deployment.rolled_back', 'deployment.approval_needed'] },
      ],
      Staging: [{ url: `${base}/refuses`, format: 'slack', name: 'refuses' }],
    }),
    TEST_HOOK_SECRET: SECRET,
  };
  const config = parseEnv(workerConfigSchema, env);
  mongo = await createTestMongo('notify');
  activities = await createWorkerActivities(config, mongo.db, new FilesystemArtifactStore(makeTestDir('notify')), createLogger('worker', 'silent'), resolveWebhookSecrets(config.NOTIFY_WEBHOOKS, env));
  connection = await NativeConnection.connect({ address: testTemporalAddress() });
  worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('../../workflows'), activities });
  workerRun = worker.run();
  clientConnection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection: clientConnection });
}, 120_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun?.catch(() => undefined);
  await connection?.close();
  await clientConnection?.close();
  await mongo?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

const at = () => new Date().toISOString();
const from = (path: string, eventId: string) => received.filter((r) => r.path === path && r.headers['x-hotswap-event-id'] === eventId);

function rolledBackView(deploymentId: string) {
  const v = initialDeploymentView({ deploymentId, modelId: 'm-1', modelName: 'fraud-detection', versionId: 'v2', version: '2.0.0', strategy: 'Canary', environment: 'Production', initiatedBy: 'u-bob' }, true, at());
  return {
    ...v,
    stable: { versionId: 'v1', version: '1.0.0' },
    status: 'RolledBack' as const,
    analysisPhase: 'Failed' as const,
    rollback: { trigger: 'threshold' as const, reason: 'errorRate 10.0% > 1.0%', decidedAt: at(), trafficRestoredAt: at(), durationMs: 380, routeRevision: 4, errors: [], requestedBy: null },
  };
}

it('delivers a signed rollback event and its Slack message; the webhook that answered 500 gets it again after backoff, the other only once', async () => {
  const event = deploymentEvent('deployment.rolled_back', rolledBackView(`d-${Date.now()}`), at());
  script.set('/generic', [500]);
  await client.workflow.execute('deliverNotification', { args: [event], taskQueue, workflowId: `notify-${event.id}` });

  const generic = from('/generic', event.id);
  expect(generic).toHaveLength(2);
  for (const r of generic) {
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', 'x-hotswap-event': 'deployment.rolled_back', 'idempotency-key': event.id });
    expect(verifyWebhook({ secret: SECRET, body: r.body, signature: r.headers['x-hotswap-signature'] as string, timestamp: r.headers['x-hotswap-timestamp'] as string, nowSeconds: Date.now() / 1000 })).toEqual({ valid: true });
    expect(JSON.parse(r.body)).toEqual({ ...JSON.parse(JSON.stringify(event)), text: summarize(event) });
  }
  // The retry came after the activity's backoff (initial interval 1 s), not at once.
  expect(generic[1].receivedAt - generic[0].receivedAt).toBeGreaterThanOrEqual(900);

  const slack = from('/slack', event.id);
  expect(slack).toHaveLength(1);
  expect(slack[0].headers['x-hotswap-signature']).toBeUndefined();
  const message = JSON.parse(slack[0].body);
  expect(message.text).toBe(summarize(event));
  expect(JSON.stringify(message.blocks)).toContain('threshold (automatic)');

  const deliveries = await mongo.db.collection('notification_deliveries').find({ eventId: event.id }).sort({ target: 1 }).toArray();
  expect(deliveries.map((d) => d.target)).toEqual(['chat', 'ops']);
  // Delivered: running the activity again sends nothing.
  const before = received.length;
  await runActivity(activities.sendNotification, event);
  expect(received.length).toBe(before);
}, 60_000);

it('a drift alert goes to the webhooks of its environment that take it; a receiver that refuses (4xx) fails it for good', async () => {
  const drift = driftAlertEvent({ id: `drift-${Date.now()}`, at: at(), environment: 'Production', modelName: 'fraud-detection', version: '2.0.0', drift: { subject: 'amount', statistic: 'psi', value: 0.31, threshold: 0.2, baseline: { from: at(), to: at() }, current: { from: at(), to: at() } } });
  await runActivity(activities.sendNotification, drift);
  expect(from('/generic', drift.id).map((r) => JSON.parse(r.body).drift)).toEqual([drift.drift]);
  expect(from('/slack', drift.id)).toEqual([]); // "chat" does not take drift alerts

  const staging = { ...drift, id: `${drift.id}-staging`, environment: 'Staging' as const };
  script.set('/refuses', [400]);
  const failure = await runActivity(activities.sendNotification, staging).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'NOTIFICATION_REJECTED', nonRetryable: true });
  expect(from('/generic', staging.id)).toEqual([]);
});

it('the approval hook also notifies the webhooks', async () => {
  const deploymentId = `d-appr-${Date.now()}`;
  await runActivity(activities.notifyApprovalNeeded, { deploymentId, modelName: 'fraud-detection', version: '2.0.0', previousVersion: '1.0.0', environment: 'Production', strategy: 'Canary', initiatedBy: 'u-bob', deadline: '2026-12-09T00:00:00.000Z', validation: null });
  const [generic] = from('/generic', `${deploymentId}:deployment.approval_needed`);
  expect(JSON.parse(generic.body)).toMatchObject({ type: 'deployment.approval_needed', deadline: '2026-12-09T00:00:00.000Z', deployment: { deploymentId, previousVersion: '1.0.0' } });
  expect(from('/slack', `${deploymentId}:deployment.approval_needed`)).toHaveLength(1);
});
