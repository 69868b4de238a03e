/**
 * Canary deployments end to end on the real stack (issue 4, "Tests"): api with its gateway,
 * worker and two model servers as child processes, the Temporal dev server and FerretDB, with
 * constant load through the gateway for the whole file (Production with feedback, Staging too).
 *
 * 1. first deployments of fraud-detection 1.0.0 (Production through a real API approval, Staging);
 * 2. canary 1.0.0 → 2.0.0 in Production with short steps: Active, zero failed requests;
 * 3. canary 2.0.0 → 3.0.0-degraded with feedback flowing: automatic rollback on accuracy;
 * 4. kill -9 the worker during a Staging canary, start it again: the deployment finishes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { E2E_BEFORE_ALL_TIMEOUT_MS, startE2EStack, type E2EStack } from '../helpers/stack-harness';
import { diffLoad, startLoad, type LoadResult, type LoadRun } from '../helpers/load-generator';
import { recordFigure } from '../helpers/e2e-figures';

jest.setTimeout(300_000);

const MODEL = 'fraud-detection';
const PROD_RPS = 16;
const STAGING_RPS = 10;

let stack: E2EStack;
let engineer: string;
let prodLoad: LoadRun | undefined;
let stagingLoad: LoadRun | undefined;

/** Runs `fn`; on failure adds the processes' recent output to the error. */
async function withOutput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as Error;
    err.message = `${err.message}\n${stack.outputs()}`;
    throw err;
  }
}

const ended = (d: any) => Boolean(d.completedAt);

/** The deployment ended with `status`, or an error that shows why not. */
function expectEnded(d: any, status: string): void {
  if (d.status !== status) throw new Error(`expected ${status}, got ${d.status}: ${d.errorMessage}; rollback ${JSON.stringify(d.rollback)}; history ${JSON.stringify(d.history)}\n${stack.outputs()}`);
}

/** No bake window unless the test sets one: these tests follow each rollout to its end (retirement). */
async function deploy(token: string, versionId: string, environment: 'Production' | 'Staging', strategyConfig: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.call('POST', '/api/v1/deployments', { token, body: { modelId: MODEL, versionId, strategy: 'Canary', environment, strategyConfig: { bakeWindow: 'PT0S', ...strategyConfig } } });
  if (res.status !== 202) throw new Error(`deployment refused: ${res.status} ${JSON.stringify(res.body)}\n${stack.outputs()}`);
  return res.body.deploymentId as string;
}

/** Waits for AwaitingApproval, then approves as the bootstrap Admin (not the initiator). */
async function approve(id: string): Promise<any> {
  await withOutput(() => stack.waitForDeployment(id, (d) => d.status === 'AwaitingApproval', 60_000));
  const res = await stack.call('POST', `/api/v1/deployments/${id}/approve`, { token: stack.admin.token, body: { reason: 'e2e: reviewed' } });
  expect(res.status).toBe(200);
  return res.body;
}

/** A Production canary to `version` under the Production load: deploy, approve, wait for the end. */
async function productionCanary(version: string, strategyConfig: Record<string, unknown>): Promise<{ done: any; during: LoadResult }> {
  const before = prodLoad!.snapshot();
  const id = await deploy(engineer, versions[version], 'Production', strategyConfig);
  await approve(id);
  const done = await withOutput(() => stack.waitForDeployment(id, ended, 180_000));
  return { done, during: diffLoad(prodLoad!.snapshot(), before) };
}

async function infer(environment: string): Promise<{ status: number; body: any }> {
  return stack.call('POST', `/api/v1/inference/${MODEL}`, { token: stack.admin.token, body: { features: { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true } }, headers: { 'x-hotswap-environment': environment } });
}

async function versionStatus(version: string): Promise<string> {
  const res = await stack.call('GET', `/api/v1/models/${MODEL}/versions/${version}`, { token: stack.admin.token });
  return res.body.status as string;
}

async function activeVersion(): Promise<string | null> {
  return (await stack.call('GET', `/api/v1/models/${MODEL}`, { token: stack.admin.token })).body.activeVersion ?? null;
}

function expectNoFailures(what: string, r: LoadResult): void {
  if (r.non2xx !== 0 || r.errors !== 0) throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} connection errors of ${r.total}; ${JSON.stringify(r.statusCodes)}; first failures: ${r.failures.join(' | ')}`);
}

const at = (iso: string) => Date.parse(iso);
const historyAt = (d: any, pred: (h: any) => boolean): number | undefined => {
  const h = (d.history as any[]).find(pred);
  return h ? at(h.at) : undefined;
};

const versions: Record<string, string> = {};

beforeAll(async () => {
  // Why 30 s: on a shared 2-core machine heartbeats written every 0.5 s were seen arriving 9-10 s
  // late; with the 10 s default the gateway then took live servers for dead (503). Server death
  // is not under test here.
  stack = await startE2EStack({ modelServers: 2, env: { METRICS_SETTLE_MS: '2500', MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: '30000' } });
  engineer = await stack.tokenFor('MLEngineer');
  for (const v of ['1.0.0', '2.0.0', '3.0.0-degraded']) versions[v] = (await stack.registerExample(MODEL, v)).versionId;
}, E2E_BEFORE_ALL_TIMEOUT_MS);

afterAll(async () => {
  if (stack) process.stdout.write(`E2E-DIAG canary: ${await stack.diagnose()}\n`);
  await Promise.all([prodLoad?.stop(), stagingLoad?.stop()]);
  if (stack) {
    // The processes' output, for a failure's post-mortem.
    const dir = path.join(__dirname, '..', '..', '.test-data', 'e2e-logs');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'canary.log'), stack.outputs(Infinity));
  }
  await stack?.stop();
});

describe('canary deployments on the real stack under constant load', () => {
  it('1. first deployment of 1.0.0: Production after an Admin approves through the API, Staging without approval', async () => {
    const prodId = await deploy(engineer, versions['1.0.0'], 'Production');
    const stagingId = await deploy(engineer, versions['1.0.0'], 'Staging');

    // Four-eyes rule through the real API: the initiator may not approve.
    await withOutput(() => stack.waitForDeployment(prodId, (d) => d.status === 'AwaitingApproval', 60_000));
    const self = await stack.call('POST', `/api/v1/deployments/${prodId}/approve`, { token: engineer, body: { reason: 'mine' } });
    expect(self.status).toBe(403);
    const approved = await approve(prodId);
    expect(approved.approval).toMatchObject({ state: 'Approved', decidedByName: 'admin', reason: 'e2e: reviewed' });
    // A decided approval takes no second decision (409, not a silent overwrite).
    const again = await stack.call('POST', `/api/v1/deployments/${prodId}/reject`, { token: stack.admin.token, body: { reason: 'changed my mind' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');

    const [prod, staging] = await withOutput(() => Promise.all([stack.waitForDeployment(prodId, ended, 120_000), stack.waitForDeployment(stagingId, ended, 120_000)]));
    expect(prod).toMatchObject({ status: 'Active', modelName: MODEL, version: '1.0.0', approval: { state: 'Approved' } });
    expect(staging).toMatchObject({ status: 'Active', modelName: MODEL, version: '1.0.0', approval: { state: 'NotRequired' } });
    expect(prod.assignedServers).toHaveLength(2);
    expect(await activeVersion()).toBe('1.0.0');
    expect(await versionStatus('1.0.0')).toBe('Deployed');
    for (const env of ['Production', 'Staging']) {
      const r = await infer(env);
      expect(r.status).toBe(200);
      expect(r.body.version).toBe('1.0.0');
    }

    prodLoad = startLoad(stack, { modelName: MODEL, rps: PROD_RPS, environment: 'Production', sendFeedback: true });
    stagingLoad = startLoad(stack, { modelName: MODEL, rps: STAGING_RPS, environment: 'Staging', sendFeedback: true });
    await new Promise((r) => setTimeout(r, 3000));
    expect(prodLoad.snapshot().ok).toBeGreaterThan(0);
  });

  it('2. canary 1.0.0 → 2.0.0 in Production with 8 s steps: Active, versions follow, zero failed requests, traffic reached 2.0.0', async () => {
    const { done, during } = await productionCanary('2.0.0', {
      initialPercentage: 25,
      incrementStep: 25,
      monitoringDuration: 'PT8S',
      minSamplesPerStep: 15,
      minLabelledSamplesPerStep: 10,
      maxInconclusiveExtensions: 3,
      // Relaxed on purpose: a few dozen samples per window on a busy 2-core machine are noisy.
      // Latency is not judged end to end (p99 of short windows on two shared cores is noise); the
      // latency rule is covered by the workflow and unit tests. Error rate: a window holds ~30
      // candidate requests, and no test can show from 30 error-free requests that the error rate
      // is within 1 point (docs/DECISIONS.md); within 10 points it can.
      rollbackThresholds: { accuracyDrop: 0.3, latencyIncrease: null, errorRateIncrease: 0.1 },
    });

    expectEnded(done, 'Active');
    expect(done.errorMessage).toBeNull();
    const steps = (done.history as any[]).filter((h) => /^setWeight/.test(h.step) && h.decision === 'Applied').map((h) => h.step);
    expect(steps).toEqual(['setWeight 25%', 'setWeight 50%', 'setWeight 75%']);
    expect((done.history as any[]).some((h) => h.step === 'promote' && h.decision === 'Promoted')).toBe(true);
    expect(await activeVersion()).toBe('2.0.0');
    expect(await versionStatus('2.0.0')).toBe('Deployed');
    // Staging still routes 1.0.0: retirement keeps it loaded and Deployed instead of failing.
    expect(await versionStatus('1.0.0')).toBe('Deployed');
    expect(done.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'retirePrevious', decision: 'Kept' })]));
    expect((await infer('Staging')).body.version).toBe('1.0.0');

    expectNoFailures('Production load during the canary', during);
    expect(during.byVersion['2.0.0']).toBeGreaterThan(0);
    expect(during.byVersion['1.0.0']).toBeGreaterThan(0);
    const r = await infer('Production');
    expect(r.body.version).toBe('2.0.0');

    recordFigure('canary_total_seconds', (at(done.completedAt) - at(done.startedAt)) / 1000, 's', `fraud-detection 1.0.0→2.0.0 Production canary 25/50/75% with PT8S windows, API approval included, ${PROD_RPS} req/s + ${STAGING_RPS} req/s Staging, 2 model servers, 2 cores`);
  });

  it('3. canary 2.0.0 → 3.0.0-degraded with feedback flowing: automatic rollback on accuracy, zero failed requests, traffic back on 2.0.0', async () => {
    const { done, during } = await productionCanary('3.0.0-degraded', {
      // The accuracy validation gate would stop it before traffic: this is about the canary analysis.
      validationGates: { accuracyTolerance: null },
      initialPercentage: 30,
      incrementStep: 35,
      monitoringDuration: 'PT8S',
      minSamplesPerStep: 15,
      minLabelledSamplesPerStep: 15,
      maxInconclusiveExtensions: 3,
      // Latency is not checked so that the rollback is the accuracy threshold's doing.
      rollbackThresholds: { accuracyDrop: 0.3, latencyIncrease: null, errorRateIncrease: 0.01 },
    });

    expectEnded(done, 'RolledBack');
    expect(done.rollback).toMatchObject({ trigger: 'threshold', errors: [] });
    expect(done.rollback.reason).toMatch(/accuracy/);
    expect(done.rollback.durationMs).toEqual(expect.any(Number));
    expect(done.rollback.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(done.rollback.trafficRestoredAt)).toBeGreaterThanOrEqual(Date.parse(done.rollback.decidedAt));
    expect(done.trafficPercentage).toBe(0);
    expect(await activeVersion()).toBe('2.0.0');
    expect(await versionStatus('3.0.0-degraded')).not.toBe('Deployed');

    expectNoFailures('Production load during the degraded canary', during);
    expect(during.byVersion['3.0.0-degraded']).toBeGreaterThan(0);
    expect(during.feedbackSent).toBeGreaterThan(0);
    expect(during.feedbackFailed).toBe(0);
    // Once every gateway confirmed the rollback route, only 2.0.0 answers.
    const restoredAt = Date.parse(done.rollback.trafficRestoredAt);
    await new Promise((r) => setTimeout(r, 2000));
    const after = prodLoad!.timeline().filter((e) => e.at > restoredAt + 500 && e.status === 200);
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after.map((e) => e.version))).toEqual(new Set(['2.0.0']));

    const canaryStart = historyAt(done, (h) => h.step === 'setWeight 30%' && h.decision === 'Applied');
    expect(canaryStart).toBeDefined();
    const detection = (Date.parse(done.rollback.decidedAt) - canaryStart!) / 1000;
    expect(detection).toBeGreaterThan(0);
    recordFigure('detection_seconds', detection, 's', `3.0.0-degraded (accuracy 0.35 vs 0.89) at 30% of ${PROD_RPS} req/s with feedback, PT8S windows, ≥15 labelled per version, accuracyDrop 0.3`);
    recordFigure('rollback_seconds', done.rollback.durationMs / 1000, 's', `decision → rollback route confirmed by every gateway (1 api), deployment record, ${PROD_RPS} req/s`);
  });

  it('4. kill -9 the worker during a Staging canary, start it again: the deployment finishes correctly, zero failed requests', async () => {
    const beforeStaging = stagingLoad!.snapshot();
    const beforeProd = prodLoad!.snapshot();
    const id = await deploy(engineer, versions['2.0.0'], 'Staging', {
      initialPercentage: 40,
      incrementStep: 40,
      monitoringDuration: 'PT8S',
      minSamplesPerStep: 10,
      maxInconclusiveExtensions: 5,
      // What is under test here is the worker's death and restart, not accuracy (step 3 covers
      // it): labels lag behind under load (FerretDB SQLITE_BUSY), and a window without enough of
      // them is rightly Inconclusive, so this canary judges the error rate only — within 10 points,
      // what ~30 requests a window can show (docs/DECISIONS.md).
      rollbackThresholds: { accuracyDrop: null, latencyIncrease: null, errorRateIncrease: 0.1 },
    });
    const mid = await withOutput(() => stack.waitForDeployment(id, (d) => d.status === 'Deploying' && d.trafficPercentage === 40 && d.phase === 'Analysing', 120_000));
    const historyBefore = (mid.history as any[]).length;
    const killedAt = Date.now();
    await stack.worker.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 4000));
    const stillThere = (await stack.call('GET', `/api/v1/deployments/${id}`, { token: stack.admin.token })).body;
    // Status reads keep working from the projection while no worker runs.
    expect(stillThere.status).toBe('Deploying');
    await stack.worker.start();
    const restartedAt = Date.now();
    const seenBeforeRestart = (stillThere.history as any[]).length;
    const resumed = await withOutput(() => stack.waitForDeployment(id, (d) => (d.history as any[]).length > seenBeforeRestart, 120_000));
    const resumedAt = Date.now();
    const done = await withOutput(() => stack.waitForDeployment(id, ended, 180_000));

    expectEnded(done, 'Active');
    expect(done.errorMessage).toBeNull();
    const history = done.history as any[];
    // History intact: what happened before the kill is still there, once, and the plan ran to the end.
    expect(history.slice(0, historyBefore).map((h) => [h.step, h.decision])).toEqual((mid.history as any[]).map((h) => [h.step, h.decision]));
    expect(history.filter((h) => h.step === 'start' && h.decision === 'Planned')).toHaveLength(1);
    expect(history.filter((h) => /^setWeight/.test(h.step) && h.decision === 'Applied').map((h) => h.step)).toEqual(['setWeight 40%', 'setWeight 80%']);
    expect(history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'promote', decision: 'Promoted' }), expect.objectContaining({ step: 'retirePrevious', decision: 'Retired' })]));
    expect(resumed.history.length).toBeGreaterThan(historyBefore);
    // Staging now serves 2.0.0 and Production too: 1.0.0 is routed nowhere and retired.
    expect((await infer('Staging')).body.version).toBe('2.0.0');
    expect(await versionStatus('1.0.0')).toBe('Deprecated');
    expect(await activeVersion()).toBe('2.0.0');

    const staging = diffLoad(stagingLoad!.snapshot(), beforeStaging);
    expectNoFailures('Staging load during the worker kill', staging);
    expect(staging.byVersion['2.0.0']).toBeGreaterThan(0);
    expectNoFailures('Production load during the worker kill', diffLoad(prodLoad!.snapshot(), beforeProd));

    recordFigure('worker_kill_recovery_seconds', (resumedAt - restartedAt) / 1000, 's', `worker restarted (ready) → next history entry of the running canary; killed ${((restartedAt - killedAt) / 1000).toFixed(1)} s before; PT8S analysis windows; Staging ${STAGING_RPS} req/s`);
  });

  it('the load generators saw zero failed requests over the whole file', async () => {
    const [prod, staging] = await Promise.all([prodLoad!.stop(), stagingLoad!.stop()]);
    expectNoFailures('Production load', prod);
    expectNoFailures('Staging load', staging);
    expect(prod.ok).toBeGreaterThan(100);
    expect(staging.ok).toBeGreaterThan(100);
    process.stdout.write(`E2E load: Production ${JSON.stringify({ ...prod, failures: undefined })}; Staging ${JSON.stringify({ ...staging, failures: undefined })}\n`);
    // The first failures of each (feedback ones included), so a red or degraded run says why.
    for (const [env, r] of [['Production', prod], ['Staging', staging]] as const) if (r.failures.length > 0) process.stdout.write(`E2E load failures, ${env}: ${r.failures.slice(0, 5).join(' | ')}\n`);
  });
});
