/**
 * The measured validation gates through the real api, a real Worker (the project's workflows and
 * activities) on the Temporal dev server, and a real model server: fraud-detection 4.0.0-slow
 * (the 1.0.0 graph plus an expensive side computation) fails the latency gate against 1.0.0
 * timed next to it, waits for an override, a non-Admin gets 403, an Admin's override lets it go
 * on, and the override is in the report, the history and the audit log. Fairness metadata that
 * names no feature is refused at registration.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { testTemporalAddress, uniqueTaskQueue } from '../helpers/services';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import { until } from '../helpers/gateway-harness';
import { exampleModel, uploadForm, versionBody } from '../helpers/example-models';
import { startWorld, type World } from './activities-world';

const taskQueue = uniqueTaskQueue('gates');
let w: World;
let connection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let engineer: string;

beforeAll(async () => {
  installQuietTemporalRuntime();
  w = await startWorld({ servers: 1, versions: ['1.0.0', '4.0.0-slow'], apiEnv: { TEMPORAL_TASK_QUEUE: taskQueue, RATE_LIMIT_DEPLOY_PER_MIN: '1000', DEPLOYMENT_COMMAND_TIMEOUT_MS: '30000' } });
  connection = await NativeConnection.connect({ address: testTemporalAddress() });
  worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('../../workflows'), activities: createActivities(w.deps) });
  workerRun = worker.run();
  engineer = await w.t.tokenFor('MLEngineer');
}, 180_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun?.catch(() => undefined);
  await connection?.close();
  await w?.close();
});

const post = (path: string, token: string, body: unknown = {}) => w.t.call('POST', `/api/v1/deployments${path}`, { token, body });
const get = async (id: string) => (await w.t.call('GET', `/api/v1/deployments/${id}`, { token: w.admin })).body;
const canary = (version: string) => ({ modelId: 'fraud-detection', versionId: version, strategy: 'Canary', environment: 'Development', strategyConfig: { bakeWindow: 'PT0S', monitoringDuration: 'PT2S' } });
const waitUntil = (id: string, what: string, ok: (d: any) => boolean, ms = 90_000) =>
  until(what, async () => {
    const d = await get(id);
    return ok(d) ? d : undefined;
  }, ms, 200);

describe('validation gates and the Admin override', () => {
  it('refuses fairness metadata naming no feature (400, nothing stored)', async () => {
    const ex = exampleModel('fraud-detection', '2.0.0');
    const res = await w.t.call('POST', `/api/v1/models/${w.modelId}/versions`, { token: w.admin, rawBody: uploadForm({ ...versionBody(ex.metadata), fairness: { sensitiveAttributes: ['is_international', 'gender'] } }, ex.onnx) });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'metadata.fairness.sensitiveAttributes.1', message: '"gender" names no feature of the inputSchema' }]);
    expect((await w.t.call('GET', '/api/v1/models/fraud-detection/versions/2.0.0', { token: w.admin })).status).toBe(404);
  });

  it('a slow candidate fails its latency gate and waits; a non-Admin gets 403; an Admin override lets it go on, audited', async () => {
    const first = (await post('', engineer, canary('1.0.0'))).body.deploymentId;
    const stable = await waitUntil(first, '1.0.0 Active', (d) => d.completedAt !== null);
    expect(stable.status).toBe('Active');
    expect(stable.validationResult.checks.map((c: { name: string }) => c.name)).toEqual(['artifact-integrity', 'model-loads', 'schema-compatibility', 'latency', 'accuracy', 'memory', 'bias']);

    const id = (await post('', engineer, canary('4.0.0-slow'))).body.deploymentId;
    const waiting = await waitUntil(id, 'the latency gate to fail', (d) => d.phase === 'AwaitingOverride');
    const checks = Object.fromEntries(waiting.validationResult.checks.map((c: { name: string }) => [c.name, c]));
    expect(checks.latency).toMatchObject({ passed: false, outcome: 'Failed', overridable: true });
    expect(checks.latency.measured.candidateMs).toBeGreaterThan(checks.latency.measured.limitMs);
    // Same predictions as 1.0.0 on its 500 labelled rows: the accuracy gate passes on the same server.
    expect(checks.accuracy).toMatchObject({ outcome: 'Passed', measured: { samples: 500 } });
    expect(checks.accuracy.measured.accuracy).toBe(checks.accuracy.measured.referenceAccuracy);
    expect(checks.memory.outcome).toBe('Passed');

    const denied = await post(`/${id}/override`, engineer, { gate: 'latency', reason: 'fine by me' });
    expect(denied.status).toBe(403);
    const wrongGate = await post(`/${id}/override`, w.admin, { gate: 'accuracy', reason: 'fine' });
    expect(wrongGate.status).toBe(409);
    expect((await post(`/${id}/override`, w.admin, { gate: 'latency' })).status).toBe(400);

    const ok = await post(`/${id}/override`, w.admin, { gate: 'latency', reason: 'batch scoring: latency does not matter' });
    expect(ok.status).toBe(200);
    const going = await waitUntil(id, 'the deployment to go on', (d) => d.status === 'Deploying');
    expect(going.validationResult.passed).toBe(true);
    expect(going.validationResult.checks.find((c: { name: string }) => c.name === 'latency')).toMatchObject({ outcome: 'Overridden', override: { reason: 'batch scoring: latency does not matter' } });
    expect(going.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'validate', decision: 'Overridden' })]));
    const audit = await w.t.call('GET', `/api/v1/audit?targetId=${id}&action=${encodeURIComponent('POST /api/v1/deployments')}`, { token: w.admin });
    expect(audit.body.records).toEqual(expect.arrayContaining([expect.objectContaining({ details: expect.objectContaining({ gate: 'latency', reason: 'batch scoring: latency does not matter' }) })]));

    expect((await post(`/${id}/abort`, engineer, { reason: 'test over' })).status).toBeLessThan(300);
    expect((await waitUntil(id, 'the abort', (d) => d.completedAt !== null)).status).toBe('Cancelled');
  }, 240_000);
});
