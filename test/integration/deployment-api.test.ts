/**
 * The Deployments API against the real Temporal dev server, with a real Worker in this process
 * (the project's workflows and real activities) on a task queue of its own, the api in-process
 * (inference gateway included), two in-process model servers and fraud-detection from examples/.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { testTemporalAddress, uniqueTaskQueue } from '../helpers/services';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import { FRAUD, until } from '../helpers/gateway-harness';
import { startWorld, type World } from './activities-world';
import { estimatePlanMs, refusalError } from '../../api/services/deployment-service';
import { planCanary } from '../../domain/deployments/steps';
import { parseStrategyConfig } from '../../domain/deployments/strategy-config-schemas';

const taskQueue = uniqueTaskQueue('deploy-api');
let w: World;
let connection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let admin: string;
let admin2: string;
let engineer: string;
let scientist: string;

async function startWorker(): Promise<void> {
  worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('../../workflows'), activities: createActivities(w.deps) });
  workerRun = worker.run();
}

beforeAll(async () => {
  installQuietTemporalRuntime();
  w = await startWorld({
    servers: 2,
    apiEnv: {
      TEMPORAL_TASK_QUEUE: taskQueue,
      RATE_LIMIT_DEPLOY_PER_MIN: '1000',
      DEPLOYMENT_APPROVAL_TIMEOUT: 'PT10M',
      DEPLOYMENT_QUERY_TIMEOUT_MS: '1000',
      DEPLOYMENT_COMMAND_TIMEOUT_MS: '30000',
      TEMPORAL_UI_URL: 'http://temporal-ui.test:8233',
    },
  });
  connection = await NativeConnection.connect({ address: testTemporalAddress() });
  await startWorker();
  admin = w.admin;
  engineer = await w.t.tokenFor('MLEngineer');
  scientist = await w.t.tokenFor('DataScientist');
  const username = `admin2-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  expect((await w.t.call('POST', '/api/v1/users', { token: admin, body: { username, password, role: 'Admin' } })).status).toBe(201);
  admin2 = (await w.t.call('POST', '/api/v1/authentication/login', { body: { username, password } })).body.token;
}, 180_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun?.catch(() => undefined);
  await connection?.close();
  await w?.close();
});

const post = (path: string, token: string, body: unknown = {}) => w.t.call('POST', `/api/v1/deployments${path}`, { token, body });
const get = (path: string, token = admin) => w.t.call('GET', `/api/v1/deployments${path}`, { token });

async function waitForStatus(id: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
  let last: any;
  try {
    return await until(
      `deployment ${id} to reach ${statuses.join('/')}`,
      async () => {
        last = (await get(`/${id}`)).body;
        return statuses.includes(last?.status) ? last : undefined;
      },
      timeoutMs,
      200,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${last?.status}/${last?.phase} ${JSON.stringify(last?.history?.slice(-4))}`);
  }
}

/** Until the workflow finished (completedAt set): Active is reached at promotion, before the last steps. */
async function waitForEnd(id: string, timeoutMs = 60_000): Promise<any> {
  let last: any;
  try {
    return await until(`deployment ${id} to end`, async () => {
      last = (await get(`/${id}`)).body;
      return last?.completedAt ? last : undefined;
    }, timeoutMs, 200);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${last?.status}/${last?.phase} ${JSON.stringify(last?.history?.slice(-4))}`);
  }
}

const v1Id = () => w.versions['1.0.0'].versionId;
const canary = (versionId: string, environment: string, strategyConfig: Record<string, unknown> = {}) => ({ modelId: 'fraud-detection', versionId, strategy: 'Canary', environment, strategyConfig });

describe('pure parts of the service', () => {
  it.each([
    ['FORBIDDEN', 'FORBIDDEN', []],
    ['VALIDATION_ERROR', 'VALIDATION_ERROR', [{ field: 'reason', message: 'a reason is required (1 to 2000 characters)' }]],
    ['CONFLICT', 'CONFLICT', []],
    ['DEPLOYMENT_NOT_FOUND', 'DEPLOYMENT_NOT_FOUND', []],
    ['Error', 'CONFLICT', []],
    [undefined, 'CONFLICT', []],
  ] as const)('a refusal typed %s → %s, with field details for a bad reason', (type, code, fields) => {
    const problems = [{ code: 'VALIDATION_ERROR', field: 'reason', message: 'a reason is required (1 to 2000 characters)' }, { code: 'CONFLICT', message: 'the deployment is Deploying' }];
    const e = refusalError('refused', type, [problems]);
    expect(e.code).toBe(code);
    expect(e.details).toEqual(fields);
  });

  it('estimates a canary from its analysis windows', () => {
    const plan = planCanary(parseStrategyConfig('Canary', { initialPercentage: 10, incrementStep: 40, monitoringDuration: 'PT5M' }), { hasStable: true, approvalRequired: false });
    // validate, warmUp, 3 × (setWeight, analysis 5 min), promote, bake 30 min, retirePrevious = 11 steps
    expect(estimatePlanMs(plan)).toBe(3 * 300_000 + 1_800_000 + 30_000 + 11 * 5_000);
  });
});

describe('validation and permissions', () => {
  it('rejects unknown fields and bad values per strategy with field-level details', async () => {
    const res = await post('', engineer, canary('2.0.0', 'Staging', { incrementStep: 500, bogus: true, monitoringDuration: 'five minutes' }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['strategyConfig.bogus', 'strategyConfig.incrementStep', 'strategyConfig.monitoringDuration']);

    const top = await post('', engineer, { ...canary('2.0.0', 'Staging'), priority: 'high' });
    expect(top.status).toBe(400);
    expect(top.body.error.details).toEqual([{ field: 'priority', message: 'is not a known field' }]);

    const blueGreenField = await post('', engineer, { ...canary('2.0.0', 'Staging'), strategy: 'BlueGreen', strategyConfig: { incrementStep: 10 } });
    expect(blueGreenField.status).toBe(400);
    expect(blueGreenField.body.error.details).toEqual([{ field: 'strategyConfig.incrementStep', message: 'is not a known field' }]);

    expect((await post('', engineer, { ...canary('2.0.0', 'Staging'), strategy: 'YOLO' })).status).toBe(400);
  });

  it('404 for an unknown model or version; 403 for Production without deployments:create:prod', async () => {
    const model = await post('', engineer, { ...canary('1.0.0', 'Staging'), modelId: 'no-such-model' });
    expect(model.status).toBe(404);
    expect(model.body.error.code).toBe('MODEL_NOT_FOUND');
    const version = await post('', engineer, canary('9.9.9', 'Staging'));
    expect(version.status).toBe(404);
    expect(version.body.error.code).toBe('VERSION_NOT_FOUND');
    const prod = await post('', scientist, canary('1.0.0', 'Production'));
    expect(prod.status).toBe(403);
    expect(prod.body.error.code).toBe('FORBIDDEN');
    expect((await get('/dep-does-not-exist')).status).toBe(404);
  });
});

describe('lifecycle', () => {
  let stagingFirst: string;
  let prodFirst: string;
  let prodRejected: string;

  it('creates → 202 Pending with the workflow and its Temporal UI link; a first deployment goes Active', async () => {
    const res = await post('', scientist, canary('1.0.0', 'Staging'));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'Pending', strategy: 'Canary', environment: 'Staging', modelName: 'fraud-detection', version: '1.0.0', workflowId: `deploy-${w.modelId}-Staging` });
    expect(res.body.deploymentId).toMatch(/^dep-/);
    expect(res.body.temporalUiUrl).toMatch(new RegExp(`^http://temporal-ui\\.test:8233/namespaces/default/workflows/deploy-${w.modelId}-Staging/[0-9a-f-]+/history$`));
    expect(Date.parse(res.body.estimatedCompletionTime)).toBeGreaterThan(Date.parse(res.body.startedAt));
    stagingFirst = res.body.deploymentId;

    const done = await waitForEnd(stagingFirst);
    expect(done.status).toBe('Active');
    expect(done.validationResult.passed).toBe(true);
    expect(done.validationResult.checks.map((c: { name: string }) => c.name).sort()).toEqual(['accuracy', 'artifact-integrity', 'bias', 'latency', 'memory', 'model-loads', 'schema-compatibility']);
    expect(done.assignedServers.sort()).toEqual([...w.serverIds()].sort());
    expect(done.history.map((h: { step: string }) => h.step)).toEqual(expect.arrayContaining(['validate', 'warmUp', 'promote', 'end']));
    const table = await w.deps.routing.get(w.modelId, 'Staging');
    expect(table?.pools.map((p) => [p.version, p.weight])).toEqual([['1.0.0', 100]]);
    const answer = await w.t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: FRAUD }, headers: { 'x-hotswap-environment': 'Staging' } });
    expect(answer.status).toBe(200);
    expect(answer.body.version).toBe('1.0.0');
  });

  it('Production waits for approval; a second request → 409 naming the running one; the initiator cannot approve; another Admin can', async () => {
    const res = await post('', admin, canary('1.0.0', 'Production'));
    expect(res.status).toBe(202);
    prodFirst = res.body.deploymentId;
    await waitForStatus(prodFirst, ['AwaitingApproval']);
    // The notification follows the status change: wait for its history entry.
    const waiting = await until('approvers notified', async () => {
      const s = (await get(`/${prodFirst}`)).body;
      return s.history.some((h: { step: string; decision: string }) => h.step === 'approval' && h.decision === 'Requested') ? s : undefined;
    }, 15_000, 100);
    expect(waiting.approval).toMatchObject({ required: true, state: 'Pending' });
    expect(Date.parse(waiting.approval.deadline) - Date.parse(waiting.approval.requestedAt)).toBe(10 * 60_000);
    expect(w.sent.map((r) => (r as { deploymentId: string }).deploymentId)).toContain(prodFirst);

    const dup = await post('', engineer, canary('2.0.0', 'Production'));
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CONFLICT');
    expect(dup.body.error.message).toContain(prodFirst);

    const noReason = await post(`/${prodFirst}/approve`, admin2, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].field).toBe('reason');
    const notAdmin = await post(`/${prodFirst}/approve`, engineer, { reason: 'looks good' });
    expect(notAdmin.status).toBe(403);

    const self = await post(`/${prodFirst}/approve`, admin, { reason: 'my own' });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/initiator cannot approve/);

    const ok = await post(`/${prodFirst}/approve`, admin2, { reason: 'validated, go' });
    expect(ok.status).toBe(200);
    expect(ok.body.approval).toMatchObject({ state: 'Approved', decidedByName: expect.stringMatching(/^admin2-/), reason: 'validated, go' });
    const done = await waitForEnd(prodFirst);
    expect(done.status).toBe('Active');
    const again = await post(`/${prodFirst}/approve`, admin2, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(done.approval.decidedAt).toBeTruthy();
    expect((await w.deps.models.findByIdOrName(w.modelId))?.activeVersion).toBe('1.0.0');
    expect((await w.deps.versions.find(w.modelId, '1.0.0'))?.status).toBe('Deployed');

    // The audit trail: every workflow decision once, and the approve calls with who and before/after.
    const audit = async (query: string) => (await w.t.call('GET', `/api/v1/audit?targetId=${prodFirst}&limit=100&${query}`, { token: admin })).body.records;
    const decisions = await until('every decision audited', async () => {
      const records = await audit('action=deployment.decision');
      return records.length === done.history.length ? records : undefined;
    }, 10_000, 100);
    expect(decisions.map((r: any) => `${r.details.step}/${r.details.decision}`).sort()).toEqual(done.history.map((h: any) => `${h.step}/${h.decision}`).sort());
    expect(decisions).toEqual(expect.arrayContaining([expect.objectContaining({ actor: expect.objectContaining({ type: 'workflow' }), details: expect.objectContaining({ step: 'approval', decision: 'Approved', decidedBy: expect.stringMatching(/^admin2-/) }) })]));
    const approvals = await audit(`action=${encodeURIComponent('POST /api/v1/deployments/:id/approve')}`);
    expect(approvals.map((r: any) => r.status)).toEqual([409, 200, 403, 403, 400]);
    expect(approvals[1]).toMatchObject({ actor: { name: expect.stringMatching(/^admin2-/) }, before: { approval: 'Pending' }, after: { approval: 'Approved' }, details: { reason: 'validated, go' } });
  });

  it('reject → Cancelled, with who, when and why; the stable route is untouched', async () => {
    const res = await post('', engineer, canary('2.0.0', 'Production'));
    expect(res.status).toBe(202);
    prodRejected = res.body.deploymentId;
    await waitForStatus(prodRejected, ['AwaitingApproval']);
    const rejected = await post(`/${prodRejected}/reject`, admin, { reason: 'not this week' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.approval).toMatchObject({ state: 'Rejected', reason: 'not this week' });
    const done = await waitForEnd(prodRejected);
    expect(done.status).toBe('Cancelled');
    expect(done.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'approval', decision: 'Rejected' })]));
    expect((await w.deps.routing.get(w.modelId, 'Production'))?.pools.map((p) => [p.version, p.weight])).toEqual([['1.0.0', 100]]);
    const late = await post(`/${prodRejected}/approve`, admin2, { reason: 'changed my mind' });
    expect(late.status).toBe(409);
  });

  it('pause, resume, then rollback a running canary: traffic back on the warm stable version, rollback time recorded', async () => {
    const res = await post('', engineer, canary('2.0.0', 'Staging', { initialPercentage: 20, incrementStep: 40, monitoringDuration: 'PT10M' }));
    expect(res.status).toBe(202);
    const id = res.body.deploymentId;
    const deploying = await until('traffic on the canary', async () => {
      const s = (await get(`/${id}`)).body;
      return s.status === 'Deploying' && s.trafficPercentage === 20 ? s : undefined;
    }, 60_000, 200);
    expect(deploying.source).toBe('workflow');
    expect(deploying.stable).toMatchObject({ version: '1.0.0' });
    expect((await w.deps.routing.get(w.modelId, 'Staging'))?.pools.map((p) => [p.version, p.weight, p.role])).toEqual([['1.0.0', 80, 'primary'], ['2.0.0', 20, 'canary']]);

    // Live metrics per version come from the gateways' metric buckets.
    for (let i = 0; i < 30; i++) {
      const r = await w.t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: FRAUD }, headers: { 'x-hotswap-environment': 'Staging' } });
      expect(r.status).toBe(200);
    }
    const live = await until('live metrics', async () => {
      const m = (await get(`/${id}`)).body.liveMetrics;
      return m && m.stable.requests + m.candidate.requests >= 30 ? m : undefined;
    }, 15_000, 200);
    expect(live.stable).toMatchObject({ version: '1.0.0', errorRate: 0 });
    expect(live.candidate.version).toBe('2.0.0');

    const paused = await post(`/${id}/pause`, engineer, { reason: 'lunch' });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('Paused');
    expect((await post(`/${id}/pause`, engineer)).status).toBe(409);
    const resumed = await post(`/${id}/resume`, engineer);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('Deploying');

    expect((await post(`/${id}/rollback`, engineer, {})).status).toBe(400);
    expect((await post(`/${id}/rollback`, scientist, { reason: 'no' })).status).toBe(403);
    const rolled = await post(`/${id}/rollback`, engineer, { reason: 'p99 looks off' });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ status: 'RolledBack', previousVersion: '2.0.0', currentVersion: '1.0.0' });
    expect(rolled.body.rollback).toMatchObject({ trigger: 'rollback-command', errors: [] });
    expect(rolled.body.rollback.durationMs).toBeGreaterThanOrEqual(0);
    expect(rolled.body.rollback.durationMs).toBeLessThan(10_000);
    expect(rolled.body.rolledBackAt).toBe(rolled.body.rollback.trafficRestoredAt);
    expect((await w.deps.routing.get(w.modelId, 'Staging'))?.pools.map((p) => [p.version, p.weight])).toEqual([['1.0.0', 100]]);
    const projected = await waitForStatus(id, ['RolledBack']);
    expect(projected.source).toBe('projection');
  });

  it('promote skips the remaining steps; the previous version stays loaded and Deployed while Production still routes to it', async () => {
    // bakeWindow PT0S: the previous version is retired right after promotion (a promote command keeps the bake).
    const res = await post('', engineer, canary('2.0.0', 'Staging', { initialPercentage: 10, incrementStep: 45, monitoringDuration: 'PT10M', bakeWindow: 'PT0S' }));
    const id = res.body.deploymentId;
    await until('traffic on the canary', async () => {
      const s = (await get(`/${id}`)).body;
      return s.status === 'Deploying' && s.trafficPercentage === 10 ? s : undefined;
    }, 60_000, 200);
    const promoted = await post(`/${id}/promote`, engineer, { reason: 'confident' });
    expect(promoted.status).toBe(200);
    const done = await waitForEnd(id);
    expect(done.status).toBe('Active');
    expect(done.history).toEqual(expect.arrayContaining([expect.objectContaining({ decision: 'Skipped', reason: 'promote command' })]));
    expect((await w.deps.routing.get(w.modelId, 'Staging'))?.pools.map((p) => [p.version, p.weight])).toEqual([['2.0.0', 100]]);
    // 1.0.0 still serves Production on the same servers: it stays loaded and Deployed, and that is no error of this deployment.
    expect(done.errorMessage).toBeNull();
    expect(done.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'retirePrevious', decision: 'Kept' })]));
    expect((await w.deps.versions.find(w.modelId, '1.0.0'))?.status).toBe('Deployed');
    const answer = await w.t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: FRAUD } });
    expect(answer.status).toBe(200);
    expect(answer.body.version).toBe('1.0.0');
  });

  it('blue-green smoke-tests the candidate with its labelled sample set before it takes traffic', async () => {
    const res = await post('', scientist, { modelId: w.modelId, versionId: v1Id(), strategy: 'BlueGreen', environment: 'Development', strategyConfig: { smokeTestSamples: 300 } });
    expect(res.status).toBe(202);
    const done = await waitForEnd(res.body.deploymentId);
    expect(done.status).toBe('Active');
    expect(done.smokeTest).toMatchObject({ passed: true, phase: 'Successful' });
    expect(done.smokeTest.accuracy).toBeGreaterThan(0.8);
    expect((await w.deps.routing.get(w.modelId, 'Development'))?.pools.map((p) => [p.version, p.weight])).toEqual([['1.0.0', 100]]);
  });

  it('lists with filters, newest first, with total, limit and offset', async () => {
    const all = await get('?model=fraud-detection&scope=all&limit=2&offset=0');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(6);
    expect(all.body.deployments).toHaveLength(2);
    expect(all.body).toMatchObject({ limit: 2, offset: 0 });
    const page2 = await get('?model=fraud-detection&scope=all&limit=2&offset=2');
    expect(page2.body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).not.toContain(all.body.deployments[0].deploymentId);

    // By default one deployment per model and environment: the one in force there.
    const current = await get('?model=fraud-detection');
    expect(current.body.deployments.map((d: { environment: string; status: string }) => `${d.environment} ${d.status}`).sort()).toEqual(['Development Active', 'Production Active', 'Staging Active']);
    const cancelled = await get(`?model=${w.modelId}&environment=Production&status=Cancelled&scope=all`);
    expect(cancelled.body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).toEqual([prodRejected]);
    expect(cancelled.body.deployments[0]).toMatchObject({ approval: 'Rejected', strategy: 'Canary', environment: 'Production' });
    expect((await get('?strategy=BlueGreen')).body.total).toBe(1);
    expect((await get('?strategy=Shadow')).body.total).toBe(0);
    expect((await get('?environment=Production&status=Active')).body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).toEqual([prodFirst]);
    expect((await get('?status=Sideways')).status).toBe(400);
    expect((await get('?model=unknown-model')).body.total).toBe(0);
    expect(stagingFirst).toBeTruthy();
  });

  it('status stays readable from the projection while no worker runs', async () => {
    const res = await post('', engineer, canary('2.0.0', 'Production'));
    const id = res.body.deploymentId;
    await waitForStatus(id, ['AwaitingApproval']);
    worker.shutdown();
    await workerRun;
    const started = Date.now();
    const s = await get(`/${id}`);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ status: 'AwaitingApproval', source: 'projection', deploymentId: id });
    expect(Date.now() - started).toBeLessThan(5000);
    const finished = await get(`/${prodFirst}`);
    expect(finished.body).toMatchObject({ status: 'Active', source: 'projection' });
    expect((await get(`?model=fraud-detection&status=AwaitingApproval`)).body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).toEqual([id]);

    // Back with a worker, the same deployment takes commands again.
    await startWorker();
    const aborted = await post(`/${id}/abort`, engineer, { reason: 'cleanup' });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ status: 'Cancelled', source: 'workflow' });
    expect(aborted.body.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'abort', decision: 'Abort' })]));
    expect((await waitForEnd(id)).status).toBe('Cancelled');
  });

  it('tags the workflows with search attributes the Temporal Web UI filters on', async () => {
    const client = await w.t.api.temporal.getClient();
    const query = `ModelName = "fraud-detection" AND Environment = "Production" AND DeploymentStrategy = "Canary" AND TaskQueue = "${taskQueue}"`;
    const found = await until('visibility to index the deployments', async () => {
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query })) ids.push(wf.runId);
      return ids.length >= 3 ? ids : undefined;
    }, 20_000, 250);
    expect(found.length).toBeGreaterThanOrEqual(3);
    const cancelled: string[] = [];
    for await (const wf of client.workflow.list({ query: `${query} AND DeploymentPhase = "Cancelled"` })) cancelled.push(wf.workflowId);
    expect(cancelled.length).toBeGreaterThanOrEqual(1);
  });
});
