/**
 * Issue 4, end to end: blue-green, shadow, A/B and rolling once each on the real stack (api +
 * gateway, worker, two model servers as child processes; FerretDB; Temporal dev server) with a
 * constant load, and feedback, running throughout. Every deployment goes to Production: an
 * MLEngineer starts it and an Admin (not the initiator) approves it through the API, so the
 * model's activeVersion moves.
 *
 * The stages build on each other: 1.0.0 first → blue-green to 2.0.0 → shadow of the degraded
 * 3.0.0 (rejected) → A/B 2.0.0 vs 3.0.0 (control kept) → rolling back to 1.0.0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PredictionLogRepository } from '../../infra/mongo/prediction-log-repository';
import { recordFigure, figuresFile } from '../helpers/e2e-figures';
import { E2E_BEFORE_ALL_TIMEOUT_MS, startE2EStack, type E2EStack } from '../helpers/stack-harness';
import { diffLoad, startLoad, type LoadEvent, type LoadResult, type LoadRun } from '../helpers/load-generator';

jest.setTimeout(300_000);

const MODEL = 'fraud-detection';
const ENV = 'Production';
const RPS = 20;
const TERMINAL = ['Active', 'Failed', 'RolledBack', 'Cancelled'];

let stack: E2EStack;
let load: LoadRun;
let engineer: string;
const ids: Record<string, string> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const figure = recordFigure;

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not true after ${timeoutMs} ms (last: ${String(last)})`);
    await sleep(250);
  }
}

/** Wraps a failure with every process's recent output. */
async function withOutputs<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${stack.outputs()}`);
  }
}

interface Started {
  id: string;
  postedAt: number;
  approvalWaitMs: number;
}

/** POST /deployments as the MLEngineer, then approve as the Admin once it awaits approval. */
async function deploy(version: string, strategy: string, strategyConfig: Record<string, unknown>): Promise<Started> {
  const postedAt = Date.now();
  // No bake window unless the test sets one: these tests follow each rollout to its end (retirement).
  const body = { modelId: MODEL, versionId: ids[version], strategy, environment: ENV, strategyConfig: { bakeWindow: 'PT0S', ...strategyConfig } };
  let created = await stack.call('POST', '/api/v1/deployments', { token: engineer, body });
  // The previous deployment's projection is terminal, but its workflow run may still be closing on a busy worker: a client retries the 409.
  for (const deadline = Date.now() + 60_000; created.status === 409 && Date.now() < deadline; ) {
    await sleep(1000);
    created = await stack.call('POST', '/api/v1/deployments', { token: engineer, body });
  }
  expect({ status: created.status, body: created.body }).toEqual({ status: 202, body: expect.objectContaining({ status: 'Pending', strategy, environment: ENV }) });
  const id = created.body.deploymentId as string;
  const awaiting = await withOutputs(stack.waitForDeployment(id, (d) => d.status === 'AwaitingApproval' || TERMINAL.includes(d.status), 90_000));
  expect({ status: awaiting.status, errorMessage: awaiting.errorMessage }).toEqual({ status: 'AwaitingApproval', errorMessage: null });
  const approved = await stack.call('POST', `/api/v1/deployments/${id}/approve`, { token: stack.admin.token, body: { reason: `e2e: ${strategy} of ${version}` } });
  expect({ status: approved.status, state: approved.body?.approval?.state }).toEqual({ status: 200, state: 'Approved' });
  return { id, postedAt, approvalWaitMs: Date.parse(approved.body.approval.decidedAt) - Date.parse(awaiting.approval.requestedAt) };
}

const finished = (id: string, timeoutMs = 180_000) => withOutputs(stack.waitForDeployment(id, (d) => TERMINAL.includes(d.status) && d.completedAt !== null && TERMINAL.includes(d.phase), timeoutMs));

async function model(): Promise<{ activeVersion: string | null }> {
  const res = await stack.call('GET', `/api/v1/models/${MODEL}`, { token: stack.admin.token });
  expect(res.status).toBe(200);
  return res.body;
}

async function versionStatus(version: string): Promise<string> {
  const res = await stack.call('GET', `/api/v1/models/${MODEL}/versions/${version}`, { token: stack.admin.token });
  expect(res.status).toBe(200);
  return res.body.status;
}

async function routing(): Promise<{ revision: number; pools: { version: string; weight: number }[]; shadow: unknown; sticky: unknown }> {
  const res = await stack.call('GET', `/api/v1/routing/${MODEL}/${ENV}`, { token: stack.admin.token });
  expect(res.status).toBe(200);
  return res.body;
}

/** Versions of the model each live model server reports loaded (from their heartbeats). */
async function loadedVersions(): Promise<Record<string, string[]>> {
  const docs = await stack.db.collection<{ _id: string; loaded: { modelName: string; version: string }[] }>('model_servers').find({}).toArray();
  return Object.fromEntries(docs.map((d) => [d._id, d.loaded.filter((l) => l.modelName === MODEL).map((l) => l.version).sort()]));
}

async function waitForLoaded(expected: string[]): Promise<Record<string, string[]>> {
  const want = JSON.stringify(expected);
  return waitUntil(`every server hosts exactly ${want}`, async () => {
    const loaded = await loadedVersions();
    const servers = Object.values(loaded);
    return servers.length === stack.modelServers.length && servers.every((v) => JSON.stringify(v) === want) ? loaded : null;
  });
}

interface ServerSample {
  at: number;
  servers: { id: string; heartbeatAgeMs: number; health: string; loaded: string[] }[];
}
/** What the model servers' heartbeats said, every second: explains a failed request when one happens. */
const serverSamples: ServerSample[] = [];
let sampler: NodeJS.Timeout | undefined;
function startServerSampler(): void {
  let busy = false;
  sampler = setInterval(() => {
    if (busy) return;
    busy = true;
    const at = Date.now();
    stack.db
      .collection<{ _id: string; heartbeatAt: Date; health: string; loaded: { modelName: string; version: string; state: string }[] }>('model_servers')
      .find({})
      .toArray()
      .then((docs) => {
        serverSamples.push({ at, servers: docs.map((d) => ({ id: d._id, heartbeatAgeMs: at - d.heartbeatAt.getTime(), health: d.health, loaded: d.loaded.filter((l) => l.modelName === MODEL).map((l) => `${l.version}:${l.state}`) })) });
        if (serverSamples.length > 4000) serverSamples.splice(0, 1000);
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, 1000);
}

/** A phase of the load: everything answered 2xx, no connection errors (else: the heartbeats around the first failure). */
function expectNoFailures(phase: LoadResult): void {
  if (phase.non2xx > 0 || phase.errors > 0) {
    const first = Date.parse(phase.failures[0]?.slice(0, 24) ?? '');
    const around = serverSamples.filter((s) => Math.abs(s.at - first) < 3000).map((s) => `${new Date(s.at).toISOString()} ${JSON.stringify(s.servers)}`);
    console.log(`failed requests (${phase.non2xx} non-2xx, ${phase.errors} errors); heartbeats around the first one:\n${around.join('\n')}`);
  }
  expect({ non2xx: phase.non2xx, errors: phase.errors, failures: phase.failures }).toEqual({ non2xx: 0, errors: 0, failures: [] });
  expect(phase.ok).toBeGreaterThan(0);
}

function historyEntry(d: any, step: string | RegExp, decision: string): { at: string; step: string; decision: string; reason: string } {
  const e = (d.history as any[]).find((h) => (typeof step === 'string' ? h.step === step : step.test(h.step)) && h.decision === decision);
  if (!e) throw new Error(`no history entry ${String(step)} / ${decision} in ${JSON.stringify(d.history, null, 1)}`);
  return e;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

beforeAll(async () => {
  // Heartbeat timing: a short timeout drops every server at once when the machine is starved
  // (heartbeats were seen 11 s and 30 s old at load average 10 on 2 cores, with SQLITE_BUSY
  // from FerretDB) and the gateway then answers 503. No test here kills a server, so liveness
  // detection is not under test: a long timeout keeps the registry's lag out of the results.
  stack = await startE2EStack({ modelServers: 2, env: { MODEL_SERVER_HEARTBEAT_MS: '1000', MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: '60000' } });
  for (const v of ['1.0.0', '2.0.0', '3.0.0-degraded']) ids[v] = (await stack.registerExample(MODEL, v)).versionId;
  engineer = await stack.tokenFor('MLEngineer');
  startServerSampler();
  // First deployment: no stable version, so a canary is just validate → approve → warm up → promote.
  const first = await deploy('1.0.0', 'Canary', {});
  const d = await finished(first.id, 120_000);
  expect(d.status).toBe('Active');
  expect((await model()).activeVersion).toBe('1.0.0');
  load = startLoad(stack, { modelName: MODEL, rps: RPS, environment: ENV, sendFeedback: true, token: engineer });
  // Let blue accumulate a window of traffic to compare green with.
  await sleep(12_000);
}, E2E_BEFORE_ALL_TIMEOUT_MS);

afterAll(async () => {
  if (stack) process.stdout.write(`E2E-DIAG strategies: ${await stack.diagnose()}\n`);
  if (sampler) clearInterval(sampler);
  const worst = Math.max(0, ...serverSamples.flatMap((s) => s.servers.map((x) => x.heartbeatAgeMs)));
  console.log(`oldest model-server heartbeat seen: ${worst} ms over ${serverSamples.length} samples`);
  if (load) {
    // Bounded: on a starved machine the last feedback flush may hang, and the stack must still stop.
    const total = await Promise.race([load.stop(), sleep(30_000).then(() => load.snapshot())]);
    console.log(`load over the whole file: ${JSON.stringify({ ...total, failures: total.failures.slice(0, 3) })}`);
  }
  if (stack) fs.writeFileSync(path.join(path.dirname(figuresFile()), 'e2e-strategies-outputs.log'), [stack.api, stack.worker, ...stack.modelServers].map((p) => `===== ${p.name}\n${p.output()}`).join('\n'));
  await stack?.stop();
});

it('blue-green 1.0.0 → 2.0.0: smoke test, instant switch, post-switch window, blue retired; no failed request', async () => {
  const before = load.snapshot();
  const fromEvent = load.timeline().length;
  const started = await deploy('2.0.0', 'BlueGreen', {
    smokeTestSamples: 500,
    monitoringDuration: 'PT10S',
    bakeWindow: 'PT5S',
    minSamples: 50,
    minLabelledSamples: 20,
    maxInconclusiveExtensions: 2,
    // Latency on a shared 2-core machine is noisy; accuracy and errors keep their spec defaults.
    // Latency is not judged end to end: p99 over a few seconds on two shared cores swings 3–4×
    // between windows (seen in CI); the latency rule is covered by the workflow and unit tests.
    // Accuracy is judged by the smoke test (500 labelled samples, ≥ baseline × 0.95); the short
    // post-switch window holds ~20 labels, where 85 % vs 95 % is noise and rolled a good switch back in CI.
    // Error rate within 10 points: ~150 requests a window cannot show "within 1 point" (docs/DECISIONS.md).
    rollbackThresholds: { latencyIncrease: null, accuracyDrop: null, errorRateIncrease: 0.1 },
  });
  const d = await finished(started.id);
  expect({ status: d.status, errorMessage: d.errorMessage }).toEqual({ status: 'Active', errorMessage: null });
  await sleep(1500);
  const phase = diffLoad(load.snapshot(), before);
  expectNoFailures(phase);

  expect(d.smokeTest).toEqual(expect.objectContaining({ passed: true }));
  const switched = historyEntry(d, 'setWeight 100%', 'Switched');
  const promoted = historyEntry(d, 'promote', 'Promoted');
  const retired = historyEntry(d, 'retirePrevious', 'Retired');
  expect(Date.parse(switched.at)).toBeLessThanOrEqual(Date.parse(promoted.at));
  expect(Date.parse(promoted.at)).toBeLessThanOrEqual(Date.parse(retired.at));
  expect((await model()).activeVersion).toBe('2.0.0');
  expect(await versionStatus('1.0.0')).toBe('Deprecated');
  expect(await versionStatus('2.0.0')).toBe('Deployed');
  const table = await routing();
  expect(table.pools).toEqual([expect.objectContaining({ version: '2.0.0', weight: 100 })]);
  await waitForLoaded(['2.0.0']);

  // The routing revision that put 100% on green, from the ledger, is no later than the confirmed switch.
  const revision = await stack.db
    .collection<{ revision: number; pools: { version: string; weight: number }[]; updatedAt: Date; updatedBy?: string }>('routing_revisions')
    .find({ updatedBy: { $regex: `^deployment:${started.id}#` } })
    .sort({ revision: 1 })
    .toArray();
  const full = revision.find((r) => r.pools.length === 1 && r.pools[0].version === '2.0.0' && r.pools[0].weight === 100);
  expect(full).toBeDefined();
  expect(full!.updatedAt.getTime()).toBeLessThanOrEqual(Date.parse(switched.at));

  // Clients: after the switch (plus in-flight slack) every answer came from green.
  const events: LoadEvent[] = load.timeline().slice(fromEvent);
  const late = events.filter((e) => e.at > Date.parse(switched.at) + 1000);
  expect(late.length).toBeGreaterThan(0);
  expect(late.filter((e) => e.version !== '2.0.0')).toEqual([]);
  const lastBlue = Math.max(...events.filter((e) => e.version === '1.0.0').map((e) => e.at));

  const toFull = Date.parse(switched.at) - started.postedAt;
  expect(toFull).toBeLessThan(5 * 60_000); // spec: ≤ 5 min
  const conditions = `fraud-detection 1.0.0→2.0.0, Production, 2 model servers, ${RPS} req/s load, smoke test 500 samples, approval by API (waited ${seconds(started.approvalWaitMs)} s, included)`;
  figure('bluegreen_to_full_traffic_seconds', seconds(toFull), 's', `${conditions}; POST /deployments → switch confirmed by every gateway`);
  figure('bluegreen_to_full_traffic_excluding_approval_seconds', seconds(toFull - started.approvalWaitMs), 's', conditions);
  figure('bluegreen_last_blue_answer_after_request_seconds', seconds(lastBlue - started.postedAt), 's', `${conditions}; client view: last answer from 1.0.0`);
  console.log(`blue-green phase: ${JSON.stringify(phase)}; deployment took ${seconds(Date.parse(d.completedAt) - started.postedAt)} s`);
});

it('shadow of the degraded 3.0.0: clients only see 2.0.0, the comparison rejects it, and the report explains why', async () => {
  const before = load.snapshot();
  const fromEvent = load.timeline().length;
  // Each comparison scans the prediction log, which is slow on FerretDB: mirror half the traffic and look every 10 s.
  // The accuracy validation gate would stop it before mirroring: this is about the shadow comparison.
  const config = { shadowPercentage: 50, comparisonSamples: 100, predictionDifferenceThreshold: 0.1, duration: 'PT4M', checkInterval: 'PT10S', validationGates: { accuracyTolerance: null } };
  const started = await deploy('3.0.0-degraded', 'Shadow', config);
  const d = await finished(started.id);
  await sleep(1500);
  const phase = diffLoad(load.snapshot(), before);
  expectNoFailures(phase);
  // Users only ever got the primary's answers.
  expect(Object.keys(phase.byVersion)).toEqual(['2.0.0']);
  expect(load.timeline().slice(fromEvent).filter((e) => e.version !== '2.0.0')).toEqual([]);

  const verdict = d.shadow;
  expect(verdict).toBeTruthy();
  const report = verdict.report;
  expect(report.samples).toBeGreaterThanOrEqual(config.comparisonSamples);
  expect(report.shadowRequests).toBeGreaterThan(0);
  const disagreement = 1 - report.labelAgreement;
  // The outcome follows the report: Promote only when both differences are within the threshold.
  const withinThreshold = disagreement <= config.predictionDifferenceThreshold && report.meanAbsoluteScoreDifference <= config.predictionDifferenceThreshold;
  if (verdict.decision === 'Promote') {
    expect(withinThreshold).toBe(true);
    expect(d.status).toBe('Active');
  } else {
    expect(verdict.decision).toBe('Reject');
    expect(d.status).toBe('Failed');
    expect(d.rollback).toEqual(expect.objectContaining({ trigger: 'shadow-rejected' }));
  }
  // The degraded model (trained on permuted labels) disagrees with 2.0.0 far beyond 10 %.
  expect(verdict.decision).toBe('Reject');
  expect(disagreement).toBeGreaterThan(config.predictionDifferenceThreshold);
  expect(verdict.reasons.join(' ')).toMatch(/disagree/);

  // Independent check of the agreement from the prediction log: shadow answers paired with the primary answers they mirror.
  const log = new PredictionLogRepository(stack.db);
  const shadows = (await log.readAll()).filter((e) => e.versionId === ids['3.0.0-degraded'] && e.role === 'shadow' && e.status === 'Completed').slice(0, 2000);
  const primaries = new Map((await log.findByRequestIds(shadows.flatMap((s) => (s.primaryRequestId ? [s.primaryRequestId] : [])))).map((p) => [p._id, p]));
  const labelOf = (o: any) => (typeof o === 'string' ? JSON.parse(o) : o)?.label;
  const pairs = shadows.filter((s) => primaries.has(s.primaryRequestId!)).map((s) => labelOf(s.outputs) === labelOf(primaries.get(s.primaryRequestId!)!.outputs));
  expect(pairs.length).toBeGreaterThanOrEqual(config.comparisonSamples / 2);
  const logAgreement = pairs.filter(Boolean).length / pairs.length;
  expect(Math.abs(logAgreement - report.labelAgreement)).toBeLessThan(0.15);

  expect((await model()).activeVersion).toBe('2.0.0');
  const table = await routing();
  expect(table.shadow).toBeNull();
  expect(table.pools).toEqual([expect.objectContaining({ version: '2.0.0', weight: 100 })]);
  await waitForLoaded(['2.0.0']);
  const decided = historyEntry(d, /^compare /, 'Reject');
  figure('shadow_request_to_verdict_seconds', seconds(Date.parse(decided.at) - started.postedAt), 's', `3.0.0-degraded shadowing 2.0.0 at ${config.shadowPercentage} %, ${config.comparisonSamples} comparison samples, checks every 10 s, ${RPS} req/s; agreement ${report.labelAgreement.toFixed(3)}`);
});

it('A/B 2.0.0 vs 3.0.0 on accuracy with feedback: sticky by X-User-Id, a stored decision with effect size, CI and p-value, control kept', async () => {
  const before = load.snapshot();
  const config = {
    splitRatio: 0.5,
    minimumSamples: 150,
    significanceLevel: 0.05,
    primaryMetric: 'accuracy',
    duration: 'PT3M',
    lookInterval: 'PT5S',
    stickyHeader: 'x-user-id',
    // The primary metric decides; the accuracy guardrail would pre-empt the test, latency is noisy here.
    rollbackThresholds: { accuracyDrop: null, latencyIncrease: null, errorRateIncrease: 0.01 },
    guardrailMinSamples: 20,
    // The challenger is weaker on purpose: the holdout accuracy gate would stop it before the test.
    validationGates: { accuracyTolerance: null },
  };
  const started = await deploy('3.0.0-degraded', 'ABTesting', config);

  // As soon as the split is live: the same user id always gets the same version.
  await withOutputs(stack.waitForDeployment(started.id, (d) => d.phase === 'Experimenting' || TERMINAL.includes(d.status), 120_000));
  const users = Array.from({ length: 24 }, (_, i) => `user-${i}`);
  const answers: { user: string; version: string; at: number }[] = [];
  const { instances } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'models', MODEL, '2.0.0', 'samples.json'), 'utf8')) as { instances: unknown[] };
  for (let round = 0; round < 3; round++) {
    for (const [i, user] of users.entries()) {
      const res = await stack.call('POST', `/api/v1/inference/${MODEL}`, {
        token: engineer,
        headers: { 'x-user-id': user, 'x-hotswap-environment': ENV },
        body: { features: instances[(i * 7 + round) % instances.length] },
      });
      expect(res.status).toBe(200);
      answers.push({ user, version: res.body.version, at: Date.now() });
    }
  }

  const d = await finished(started.id);
  await sleep(1500);
  const phase = diffLoad(load.snapshot(), before);
  expectNoFailures(phase);
  expect(phase.feedbackFailed).toBe(0);
  expect(phase.byVersion['3.0.0-degraded']).toBeGreaterThan(0);

  // Sticky while the split was live (answers before the decision to end the test): one version per user, both arms used.
  const endedAt = Date.parse(d.rollback?.decidedAt ?? d.completedAt);
  const during = answers.filter((a) => a.at < endedAt);
  expect(during.length).toBeGreaterThanOrEqual(users.length);
  const seen = new Map<string, Set<string>>();
  for (const a of during) seen.set(a.user, (seen.get(a.user) ?? new Set()).add(a.version));
  expect([...seen].filter(([, v]) => v.size !== 1).map(([u, v]) => `${u}: ${[...v].join(', ')}`)).toEqual([]);
  expect([...new Set(during.map((a) => a.version))].sort()).toEqual(['2.0.0', '3.0.0-degraded']);

  const ab = d.abTest;
  expect(ab).toBeTruthy();
  const r = ab.report;
  expect(r).toEqual(
    expect.objectContaining({
      metric: 'accuracy',
      pValue: expect.any(Number),
      effectSize: expect.objectContaining({ kind: 'cohensH', value: expect.any(Number) }),
      confidenceInterval: expect.objectContaining({ lower: expect.any(Number), upper: expect.any(Number) }),
    }),
  );
  // Measured accuracies match the versions' known quality on this sample set (0.894 and 0.354).
  expect(r.control).toBeGreaterThan(0.75);
  expect(r.treatment).toBeLessThan(0.55);
  expect(r.confidenceInterval.lower).toBeLessThanOrEqual(r.difference);
  expect(r.confidenceInterval.upper).toBeGreaterThanOrEqual(r.difference);
  // Recompute the two-proportion z from the stored counts and rates.
  const nC = r.samples.control;
  const nT = r.samples.treatment;
  const pooled = (r.control * nC + r.treatment * nT) / (nC + nT);
  const z = (r.treatment - r.control) / Math.sqrt(pooled * (1 - pooled) * (1 / nC + 1 / nT));
  expect(r.z).toBeCloseTo(z, 1);

  // The decision follows the report: a winner crossed the boundary; the workflow acted on it.
  if (ab.outcome === 'TreatmentWins') {
    expect(d.status).toBe('Active');
    expect((await model()).activeVersion).toBe('3.0.0-degraded');
  } else {
    expect(d.status).toBe('RolledBack');
    expect(d.rollback).toEqual(expect.objectContaining({ trigger: 'experiment' }));
    expect((await model()).activeVersion).toBe('2.0.0');
  }
  // Here the control is far better: the test must say so with significance.
  expect(ab.outcome).toBe('ControlWins');
  expect(Math.abs(r.z)).toBeGreaterThan(r.boundary);
  expect(r.pValue).toBeLessThan(config.significanceLevel);
  expect(r.confidenceInterval.upper).toBeLessThan(0);
  expect(r.effectSize.value).toBeLessThan(0);

  const table = await routing();
  expect(table.pools).toEqual([expect.objectContaining({ version: '2.0.0', weight: 100 })]);
  expect(table.sticky).toBeNull();
  await waitForLoaded(['2.0.0']);
  const decided = historyEntry(d, /^experiment /, 'ControlWins');
  figure('ab_request_to_decision_seconds', seconds(Date.parse(decided.at) - started.postedAt), 's', `2.0.0 vs 3.0.0-degraded, accuracy, minimumSamples ${config.minimumSamples}, looks every 5 s, ${RPS} req/s with feedback; ${ab.looks} look(s), ${nC}/${nT} labelled, p=${r.pValue.toPrecision(3)}`);
});

it('rolling 2.0.0 → 1.0.0 one server at a time: Active, each server serves one version at a time, no failed request', async () => {
  const before = load.snapshot();
  // 1.0.0 is 5 points less accurate than 2.0.0 on the holdout: the accuracy gate would wait for an override.
  const config = { batchSize: 1, waitDuration: 'PT8S', maxFailures: 1, minSamples: 20, rollbackThresholds: { accuracyDrop: 0.2, latencyIncrease: null, errorRateIncrease: 0.01 }, validationGates: { accuracyTolerance: null } }; // latency: see blue-green
  const started = await deploy('1.0.0', 'Rolling', config);
  const d = await finished(started.id);
  await sleep(1500);
  const phase = diffLoad(load.snapshot(), before);
  expectNoFailures(phase);
  expect({ status: d.status, errorMessage: d.errorMessage }).toEqual({ status: 'Active', errorMessage: null });
  const batches = (d.history as any[]).filter((h) => /^updateBatch /.test(h.step) && h.decision === 'Switched');
  expect(batches).toHaveLength(2);
  expect((d.history as any[]).filter((h) => h.decision === 'Failed')).toEqual([]);

  expect((await model()).activeVersion).toBe('1.0.0');
  expect(await versionStatus('2.0.0')).toBe('Deprecated');
  expect((await routing()).pools).toEqual([expect.objectContaining({ version: '1.0.0', weight: 100 })]);
  await waitForLoaded(['1.0.0']);

  // From the prediction log: on each server the version it answered with changed once (2.0.0 → 1.0.0), never back and forth.
  const [sinceMs, untilMs] = [started.postedAt, Date.parse(d.completedAt)];
  const rows = (await new PredictionLogRepository(stack.db).readAll()).filter((e) => e.environment === ENV && e.role !== 'shadow' && e.time.getTime() >= sinceMs && e.time.getTime() <= untilMs && e.serverId !== undefined);
  const byServer = new Map<string, { t: number; v: string }[]>();
  for (const row of rows) byServer.set(row.serverId!, [...(byServer.get(row.serverId!) ?? []), { t: row.time.getTime(), v: row.version }]);
  expect([...byServer.keys()].sort()).toEqual(stack.modelServers.map((s) => s.name).sort());
  const sequences: Record<string, string[]> = {};
  for (const [server, list] of byServer) {
    list.sort((a, b) => a.t - b.t);
    sequences[server] = list.map((x) => x.v).filter((v, i, all) => i === 0 || all[i - 1] !== v);
  }
  for (const seq of Object.values(sequences)) expect(['2.0.0,1.0.0', '1.0.0']).toContain(seq.join(','));
  figure('rolling_two_servers_seconds', seconds(Date.parse(d.completedAt) - started.postedAt), 's', `2.0.0→1.0.0, batchSize 1 over 2 servers, waitDuration 8 s, ${RPS} req/s, approval included (${seconds(started.approvalWaitMs)} s)`);
});
