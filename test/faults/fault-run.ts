/**
 * Runs faults one after another on one stack under one steady load: the setup (register the
 * example versions, deploy 1.0.0 to Staging, start the load), then per fault a canary from the
 * stable version to a candidate with the fault injected, and what it measured.
 */
import { PredictionLogRepository } from '../../infra/mongo/prediction-log-repository';
import { startLoad, type LoadEvent, type LoadRun } from '../helpers/load-generator';
import type { Fault, FaultContext, Injection } from './fault-catalogue';
import type { FaultStack } from './fault-stack';

export const MODEL = 'fraud-detection';
export const ENVIRONMENT = 'Staging';
const VERSIONS = ['1.0.0', '2.0.0', '3.0.0-degraded'];
const TERMINAL = ['Active', 'RolledBack', 'Failed', 'Cancelled'];

/**
 * Short steps so a canary takes about a minute; only the error rate is judged (the fault is under
 * test, not the model), within 10 points: what a few dozen requests a window can show (docs/DECISIONS.md).
 */
export const CANARY_CONFIG = {
  initialPercentage: 25,
  incrementStep: 25,
  monitoringDuration: 'PT8S',
  minSamplesPerStep: 10,
  maxInconclusiveExtensions: 5,
  rollbackThresholds: { accuracyDrop: null, latencyIncrease: null, errorRateIncrease: 0.1 },
  // The faults end when the canary does: no bake window after promotion (the soak covers it).
  bakeWindow: 'PT0S',
};

export interface FaultResult {
  id: string;
  title: string;
  when: string;
  expected: string;
  passed: boolean;
  problems: string[];
  deployment: { id: string; from: string; to: string; status: string; seconds: number | null };
  /** `failedSeconds`: distinct seconds with a failure (a refused connection is retried at once, so counts alone mislead). */
  requests: { total: number; failed: number; failedSeconds: number; statusCodes: Record<string, number>; slowestMs: number };
  /** What each model server held Ready when the fault's turn came (a fault before can leave one empty). */
  readyAtStart: Record<string, string[]>;
  /** Servers the harness loaded the stable version on before the fault, as an operator would today. */
  healed: string[];
  /** Requests answered 200 whose prediction is not in the log. */
  lost: number;
  /** Fault → first success after the last failed request; null when none failed. */
  trafficRecoveryMs: number | null;
  /** Fault → the deployment's first step recorded after the broken thing was back (or its end). */
  progressRecoveryMs: number | null;
}

export interface Suite {
  stack: FaultStack;
  load: LoadRun;
  versionIds: Record<string, string>;
  stable: string;
  /** Versions some server has loaded (their artifacts are cached). */
  used: Set<string>;
  log(line: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DeploymentRefusedError extends Error {
  constructor(status: number, body: unknown) {
    super(`deployment refused: ${status} ${JSON.stringify(body)}`);
    this.name = 'DeploymentRefusedError';
  }
}

/** POST /deployments (Canary to Staging: no approval), retrying the 409 of a previous run still closing. */
export async function createDeployment(suite: Suite, version: string, strategyConfig: Record<string, unknown> = CANARY_CONFIG): Promise<string> {
  const body = { modelId: MODEL, versionId: suite.versionIds[version], strategy: 'Canary', environment: ENVIRONMENT, strategyConfig };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await suite.stack.call('POST', '/api/v1/deployments', { token: suite.stack.admin.token, body }).catch((e: Error) => ({ status: 0, body: e.message }));
    if (res.status === 202) return res.body.deploymentId as string;
    if (Date.now() > deadline || (res.status !== 409 && res.status !== 503 && res.status !== 0)) throw new DeploymentRefusedError(res.status, res.body);
    await sleep(1000);
  }
}

export const ended = (d: any) => TERMINAL.includes(d.status) && Boolean(d.completedAt);

/** Registers the example versions, deploys 1.0.0 and starts the steady load. */
export async function setUpSuite(stack: FaultStack, opts: { rps: number; log(line: string): void }): Promise<Suite> {
  const versionIds: Record<string, string> = {};
  for (const v of VERSIONS) versionIds[v] = await stack.registerExample(MODEL, v);
  const suite: Suite = { stack, load: undefined as unknown as LoadRun, versionIds, stable: '1.0.0', used: new Set(['1.0.0']), log: opts.log };
  const first = await createDeployment(suite, '1.0.0');
  const d = await stack.waitForDeployment(first, ended, 180_000);
  if (d.status !== 'Active') throw new Error(`the first deployment of 1.0.0 ended ${d.status}: ${d.errorMessage}`);
  suite.load = startLoad(stack, { modelName: MODEL, rps: opts.rps, environment: ENVIRONMENT });
  await sleep(5000);
  return suite;
}

function candidateFor(suite: Suite, fault: Fault): string {
  if (fault.freshCandidate) {
    const fresh = VERSIONS.find((v) => !suite.used.has(v));
    if (!fresh) throw new Error(`${fault.id} needs a version no server has cached, and every example version was deployed already`);
    return fresh;
  }
  return suite.stable === '1.0.0' ? '2.0.0' : '1.0.0';
}

/** Every request answered 200 in `events` is in the prediction log (waits up to 90 s for spilled entries to be replayed). */
export async function countLost(stack: FaultStack, events: LoadEvent[]): Promise<number> {
  const ids = events.filter((e) => e.status === 200 && e.requestId).map((e) => e.requestId!);
  const repo = new PredictionLogRepository(stack.db);
  const missing = new Set(ids);
  const deadline = Date.now() + 90_000;
  while (missing.size > 0) {
    const found = await repo.findByRequestIds([...missing]).catch(() => []);
    for (const doc of found) missing.delete(doc.requestId);
    if (missing.size === 0 || Date.now() > deadline) break;
    await sleep(2000);
  }
  return missing.size;
}

/** The versions each model server holds Ready, from their heartbeats. */
export async function readyVersions(stack: FaultStack): Promise<Record<string, string[]>> {
  const docs = await stack.db.collection<{ _id: string; loaded?: { version: string; state: string }[] }>('model_servers').find({}).toArray();
  return Object.fromEntries(docs.map((d) => [d._id, (d.loaded ?? []).filter((l) => l.state === 'Ready').map((l) => l.version).sort()]));
}

/**
 * Waits (up to 60 s) until every live model server holds the stable version Ready again, by its
 * own reconciliation — nothing is loaded for it — so that one fault's damage does not become the
 * next fault's. Returns the servers that lacked it when the wait began; throws naming those still
 * without it.
 */
export async function awaitStable(suite: Suite): Promise<string[]> {
  const { stack } = suite;
  const lacking = async () =>
    (await stack.db.collection<{ _id: string; loaded?: { version: string; state: string }[] }>('model_servers').find({}).toArray())
      .filter((s) => !(s.loaded ?? []).some((l) => l.version === suite.stable && l.state === 'Ready'))
      .map((s) => s._id);
  const missing = await lacking();
  const timeout = Date.now() + 60_000;
  for (let still = missing; still.length > 0; still = await lacking()) {
    if (Date.now() > timeout) throw new Error(`${still.join(', ')} did not reload ${suite.stable} by reconciliation within 60 s`);
    await sleep(500);
  }
  return missing;
}

/** Measures the requests of one phase: failures, and how long after the fault traffic came back. */
export function measureRequests(events: LoadEvent[], faultAt: number): Pick<FaultResult, 'requests' | 'trafficRecoveryMs'> {
  const statusCodes: Record<string, number> = {};
  for (const e of events) statusCodes[e.status] = (statusCodes[e.status] ?? 0) + 1;
  const failures = events.filter((e) => e.status !== 200);
  const afterFault = failures.filter((e) => e.at >= faultAt);
  let trafficRecoveryMs: number | null = null;
  if (afterFault.length > 0) {
    // A loop, not Math.max(...): a refused connection is retried at once, so there can be 100,000s.
    const last = afterFault.reduce((m, e) => Math.max(m, e.at), 0);
    const firstOk = events.find((e) => e.status === 200 && e.at > last);
    trafficRecoveryMs = firstOk ? firstOk.at - faultAt : Number.POSITIVE_INFINITY;
  }
  return {
    requests: { total: events.length, failed: failures.length, failedSeconds: new Set(failures.map((e) => Math.floor(e.at / 1000))).size, statusCodes, slowestMs: events.reduce((m, e) => Math.max(m, e.ms ?? 0), 0) },
    trafficRecoveryMs,
  };
}

/** Runs one fault on the suite's stack; never throws for a failed expectation (that is a problem in the result). */
export async function runFault(suite: Suite, fault: Fault): Promise<FaultResult> {
  const { stack, load } = suite;
  const candidate = candidateFor(suite, fault);
  const from = suite.stable;
  const ctx: FaultContext = { stack, candidate, stable: from, log: (l) => suite.log(`[${fault.id}] ${l}`) };
  const problems: string[] = [];
  const readyAtStart = await readyVersions(stack).catch(() => ({}));
  let healed: string[] = [];
  try {
    healed = await awaitStable(suite);
    if (healed.length > 0) ctx.log(`waited for ${healed.join(', ')} to reload ${from} by reconciliation first`);
  } catch (e) {
    problems.push(`not every server held ${from} before the fault: ${(e as Error).message}`);
  }
  // Measured from here: what the restore left behind is not this fault's doing.
  const firstEvent = load.timeline().length;
  let injection: Injection | undefined;
  let id = '';
  let done: any;
  try {
    if (fault.before) injection = await fault.inject(ctx);
    id = await createDeployment(suite, candidate);
    ctx.log(`canary ${from} → ${candidate}: ${id}`);
    suite.used.add(candidate);
    if (!fault.before) {
      await stack.waitForDeployment(id, (d) => (d.trafficPercentage === CANARY_CONFIG.initialPercentage && d.phase === 'Analysing') || ended(d), 180_000);
      injection = await fault.inject(ctx);
    }
    done = await stack.waitForDeployment(id, ended, 420_000);
    ctx.log(`deployment ended ${done.status}`);
    if (done.status !== fault.endState) problems.push(`the deployment ended ${done.status} (${done.errorMessage ?? 'no error message'}), expected ${fault.endState}`);
    if (fault.verify && injection) problems.push(...(await fault.verify(ctx, injection)));
  } catch (e) {
    problems.push((e as Error).message.split('\n')[0]);
  } finally {
    if (injection) await sleep(Math.max(0, injection.backAt - Date.now()));
    await stack.heal();
  }
  if (done?.status === 'Active') suite.stable = candidate;
  await sleep(2000);
  const events = load.timeline().slice(firstEvent);
  const faultAt = injection?.at ?? events[0]?.at ?? Date.now();
  const measured = measureRequests(events, faultAt);
  if (measured.requests.failed > 0 && !fault.failuresExpected) problems.push(`${measured.requests.failed} failed requests (${JSON.stringify(measured.requests.statusCodes)})`);
  if (measured.trafficRecoveryMs === Number.POSITIVE_INFINITY) problems.push('no request succeeded after the last failure');
  const lost = await countLost(stack, events);
  if (lost > 0) problems.push(`${lost} answered requests are missing from the prediction log`);
  const history = (done?.history ?? []) as { at: string }[];
  const nextStep = injection ? history.map((h) => Date.parse(h.at)).find((t) => t > injection.backAt) : undefined;
  const progressEnd = nextStep ?? (done?.completedAt ? Date.parse(done.completedAt) : undefined);
  return {
    id: fault.id,
    title: fault.title,
    when: fault.when,
    expected: fault.expected,
    passed: problems.length === 0,
    problems,
    deployment: { id, from, to: candidate, status: done?.status ?? 'unknown', seconds: done?.completedAt ? Math.round((Date.parse(done.completedAt) - Date.parse(done.startedAt)) / 100) / 10 : null },
    ...measured,
    readyAtStart,
    healed,
    lost,
    progressRecoveryMs: injection && progressEnd !== undefined ? progressEnd - injection.at : null,
  };
}
