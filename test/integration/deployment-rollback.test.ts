/**
 * Rollback at any time and supersede (issue 11), through the real API, a real Worker (the
 * project's workflows and real activities) on the Temporal dev server, two in-process model
 * servers and fraud-detection from examples/:
 * - a completed canary whose previous version was retired is rolled back: the previous version
 *   is loaded again, traffic goes back, version statuses follow, who and why are recorded, as a
 *   rollbackDeployment workflow — with no failed request under steady traffic;
 * - a rollback in the bake window has traffic back within 1 s of the call;
 * - a new deployment supersedes one in its bake window instead of 409; the list shows one
 *   current deployment per model and environment; a superseded deployment cannot be rolled back.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { testTemporalAddress, uniqueTaskQueue } from '../helpers/services';
import { installQuietTemporalRuntime } from '../helpers/temporal-test-env';
import { FRAUD, until } from '../helpers/gateway-harness';
import { startWorld, type World } from './activities-world';

const taskQueue = uniqueTaskQueue('deploy-rollback');
let w: World;
let connection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let engineer: string;

beforeAll(async () => {
  installQuietTemporalRuntime();
  w = await startWorld({
    servers: 2,
    versions: ['1.0.0', '2.0.0', '4.0.0-slow'],
    apiEnv: { TEMPORAL_TASK_QUEUE: taskQueue, RATE_LIMIT_DEPLOY_PER_MIN: '1000', RATE_LIMIT_INFERENCE_PER_MIN: '100000', DEPLOYMENT_QUERY_TIMEOUT_MS: '1000', DEPLOYMENT_COMMAND_TIMEOUT_MS: '60000' },
  });
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
}, 120_000);

const post = (path: string, body: unknown = {}, token = engineer) => w.t.call('POST', `/api/v1/deployments${path}`, { token, body });
const get = (path: string) => w.t.call('GET', `/api/v1/deployments${path}`, { token: w.admin });
const canary = (version: string, strategyConfig: Record<string, unknown> = {}) => ({ modelId: 'fraud-detection', versionId: version, strategy: 'Canary', environment: 'Staging', strategyConfig });
const routed = async () => (await w.deps.routing.get(w.modelId, 'Staging'))?.pools.map((p) => [p.version, p.weight]);
const versionStatus = async (v: string) => (await w.deps.versions.find(w.modelId, v))?.status;
/** Servers whose heartbeat reports the version Ready. */
const holders = async (v: string) => (await w.deps.servers.live(3000)).filter((s) => s.loaded.some((l) => l.version === v && l.state === 'Ready')).map((s) => s._id).sort();

async function waitFor(id: string, what: string, test: (d: any) => boolean, timeoutMs = 90_000): Promise<any> {
  let last: any;
  try {
    return await until(`deployment ${id}: ${what}`, async () => {
      last = (await get(`/${id}`)).body;
      return test(last) ? last : undefined;
    }, timeoutMs, 200);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${last?.status}/${last?.phase} ${JSON.stringify(last?.history?.slice(-4))}`);
  }
}

/** Starts a canary, promotes it as soon as it takes traffic (the bake window still follows), and waits for the bake window (or the end with bakeWindow PT0S). */
async function promoted(version: string, bakeWindow: string): Promise<{ id: string; view: any }> {
  const res = await post('', canary(version, { initialPercentage: 50, incrementStep: 50, monitoringDuration: 'PT10M', bakeWindow }));
  expect(res.status).toBe(202);
  const id = res.body.deploymentId;
  await waitFor(id, 'traffic on the canary', (d) => d.status === 'Deploying' && d.trafficPercentage === 50);
  expect((await post(`/${id}/promote`, { reason: 'ship it' })).status).toBe(200);
  const view = await waitFor(id, bakeWindow === 'PT0S' ? 'the end' : 'the bake window', (d) => (bakeWindow === 'PT0S' ? d.completedAt !== null : d.status === 'Active' && d.phase === 'KeepingPreviousWarm'));
  return { id, view };
}

/** Steady inference on Staging from a few callers until stopped: counts answers by status and version. */
function steadyLoad(callers = 4) {
  const statuses: Record<string, number> = {};
  const versions: Record<string, number> = {};
  let running = true;
  const loops = Array.from({ length: callers }, async () => {
    while (running) {
      const r = await w.t.call('POST', '/api/v1/inference/fraud-detection', { token: w.admin, body: { features: FRAUD }, headers: { 'x-hotswap-environment': 'Staging' } }).catch(() => ({ status: 0, body: null }));
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) versions[r.body.version] = (versions[r.body.version] ?? 0) + 1;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { statuses, versions };
    },
  };
}

describe('rollback of a completed deployment', () => {
  let rolledBack: string;

  it('reloads the retired previous version, routes back, restores version statuses and records who and why — no failed request', async () => {
    const first = await post('', canary('1.0.0'));
    expect(first.status).toBe(202);
    await waitFor(first.body.deploymentId, 'the end', (d) => d.completedAt !== null && d.status === 'Active');

    const { id, view } = await promoted('2.0.0', 'PT0S');
    expect(view.status).toBe('Active');
    expect(await routed()).toEqual([['2.0.0', 100]]);
    expect(await versionStatus('1.0.0')).toBe('Deprecated');
    await until('1.0.0 unloaded everywhere', async () => ((await holders('1.0.0')).length === 0 ? true : undefined), 15_000, 200);

    const load = steadyLoad();
    await until('traffic flowing', async () => ((await get(`/${id}`)).status === 200 ? true : undefined), 5000, 100);
    const noReason = await post(`/${id}/rollback`, {});
    expect(noReason.status).toBe(400);
    const scientist = await w.t.tokenFor('DataScientist');
    expect((await post(`/${id}/rollback`, { reason: 'no' }, scientist)).status).toBe(403);
    const rolled = await post(`/${id}/rollback`, { reason: 'conversion dropped after release' });
    await new Promise((r) => setTimeout(r, 1000));
    const { statuses, versions } = await load.stop();

    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ status: 'RolledBack', phase: 'RolledBack', previousVersion: '2.0.0', currentVersion: '1.0.0' });
    expect(rolled.body.rollback).toMatchObject({ trigger: 'rollback-command', requestedBy: expect.stringMatching(/.+/), errors: [], reason: expect.stringContaining('conversion dropped after release') });
    expect(rolled.body.rollback.durationMs).toBeGreaterThanOrEqual(0);
    expect(rolled.body.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ step: 'rollback', decision: 'Requested', reason: expect.stringContaining('conversion dropped after release') }),
        expect.objectContaining({ step: 'reload', decision: 'Ready' }),
        expect.objectContaining({ step: 'end', decision: 'RolledBack' }),
      ]),
    );
    expect(await routed()).toEqual([['1.0.0', 100]]);
    expect(await versionStatus('1.0.0')).toBe('Deployed');
    expect(await versionStatus('2.0.0')).toBe('Deprecated');
    expect(await holders('1.0.0')).toEqual([...w.serverIds()].sort());
    await until('2.0.0 unloaded everywhere', async () => ((await holders('2.0.0')).length === 0 ? true : undefined), 15_000, 200);
    // Every request was answered, first by 2.0.0, then by 1.0.0.
    expect(Object.keys(statuses)).toEqual(['200']);
    expect(versions['1.0.0']).toBeGreaterThan(0);
    expect(versions['2.0.0']).toBeGreaterThan(0);

    // A workflow of its own, visible in the Web UI.
    const client = await w.t.api.temporal.getClient();
    const described = await client.workflow.getHandle(`rollback-${id}`).describe();
    expect(described).toMatchObject({ type: 'rollbackDeployment', status: { name: 'COMPLETED' } });
    const projected = (await get(`/${id}`)).body;
    expect(projected).toMatchObject({ status: 'RolledBack', source: 'projection' });
    // Rolled back is over: a second rollback is a conflict.
    expect((await post(`/${id}/rollback`, { reason: 'again' })).status).toBe(409);
    rolledBack = id;
  }, 240_000);

  it('a rollback in the bake window has traffic back on the warm previous version within 1 s of the call', async () => {
    expect(rolledBack).toBeTruthy();
    const { id } = await promoted('2.0.0', 'PT10M');
    expect(await holders('1.0.0')).toEqual([...w.serverIds()].sort());
    const sentAt = Date.now();
    const rolled = await post(`/${id}/rollback`, { reason: 'p99 after release' });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ status: 'RolledBack', rollback: { trigger: 'rollback-command', errors: [] } });
    expect(Date.parse(rolled.body.rollback.trafficRestoredAt) - sentAt).toBeLessThan(1000);
    expect(await routed()).toEqual([['1.0.0', 100]]);
  }, 180_000);
});

describe('supersede', () => {
  it('a new deployment supersedes one in its bake window; the list shows one current deployment; a superseded one cannot be rolled back', async () => {
    const { id: baking } = await promoted('2.0.0', 'PT10M');
    const next = await post('', canary('4.0.0-slow', { initialPercentage: 10, incrementStep: 45, monitoringDuration: 'PT10M', bakeWindow: 'PT0S', validationGates: { latencyIncrease: null, accuracyTolerance: null } }));
    expect(next.status).toBe(202);
    const nextId = next.body.deploymentId;

    const old = (await get(`/${baking}`)).body;
    expect(old).toMatchObject({ status: 'Superseded', phase: 'Superseded', supersededBy: nextId });
    expect(old.completedAt).toEqual(expect.any(String));
    expect(old.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'supersede', decision: 'Supersede' }), expect.objectContaining({ step: 'end', decision: 'Superseded' })]));
    // It retired its previous version (1.0.0) when it gave way.
    expect(await versionStatus('1.0.0')).toBe('Deprecated');
    expect((await get(`/${nextId}`)).body.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'request', decision: 'Supersedes', reason: expect.stringContaining(baking) })]));

    const current = await get('?model=fraud-detection&environment=Staging');
    expect(current.body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).toEqual([nextId]);
    expect(current.body.total).toBe(1);
    const all = await get('?model=fraud-detection&environment=Staging&scope=all&status=Superseded');
    expect(all.body.deployments.map((d: { deploymentId: string }) => d.deploymentId)).toContain(baking);

    const refused = await post(`/${baking}/rollback`, { reason: 'go back' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(`superseded by ${nextId}`);

    // While the new one rolls out, the rolled-back completed deployments cannot be rolled back either.
    await waitFor(nextId, 'traffic on the canary', (d) => d.status === 'Deploying' && d.trafficPercentage === 10);
    expect((await post(`/${nextId}/abort`, { reason: 'cleanup' })).status).toBe(200);
  }, 240_000);
});
