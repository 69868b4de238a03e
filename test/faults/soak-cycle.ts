/**
 * One cycle of the soak: deploy a candidate (canary), promote it, roll it back, under the
 * suite's steady load. Two variants:
 * - after-promotion (issue 11's contract): promote, wait for the bake window (Active, phase
 *   KeepingPreviousWarm), then POST /rollback; the previous version is still warm;
 * - before-promotion (what today's code supports): POST /rollback at 10 %, mid-canary.
 * The rollback time is the clients' view: from the rollback call to the first answer of the
 * previous version after which no answer came from the candidate.
 */
import type { LoadEvent } from '../helpers/load-generator';
import { createDeployment, ended, type Suite } from './fault-run';

export type SoakVariant = 'after-promotion' | 'before-promotion';

export interface CycleResult {
  cycle: number;
  candidate: string;
  deploymentId: string;
  /** Rollback call → traffic back on the previous version (clients' view). */
  rollbackMs: number;
  /** The same as the deployment recorded it (decidedAt → trafficRestoredAt), when it did. */
  recordedRollbackMs: number | null;
  status: string;
}

export class SoakCycleError extends Error {
  constructor(cycle: number, step: string, detail: string) {
    super(`cycle ${cycle}: ${step}: ${detail}`);
    this.name = 'SoakCycleError';
  }
}

/** Steps that never advance on their own: the soak promotes and rolls back by command. */
const HELD_CANARY = {
  initialPercentage: 10,
  incrementStep: 30,
  monitoringDuration: 'PT10M',
  minSamplesPerStep: 10,
  maxInconclusiveExtensions: 0,
  rollbackThresholds: { accuracyDrop: null, latencyIncrease: null, errorRateIncrease: 0.05 },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When traffic was back on `previous` for good: the first answer from it after the last answer
 * from any other version (answers finishing after `since`). Undefined while the candidate still answers.
 */
export function trafficBackAt(events: LoadEvent[], since: number, previous: string): number | undefined {
  const answers = events.filter((e) => e.status === 200 && e.at >= since);
  let lastOther = -1;
  answers.forEach((e, i) => {
    if (e.version !== previous) lastOther = i;
  });
  return answers[lastOther + 1]?.at;
}

/** The nearest-rank percentile of ascending `sorted`: of 100 values, p99 is the 99th (not an interpolation). */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function command(suite: Suite, cycle: number, id: string, kind: 'promote' | 'rollback', reason: string): Promise<void> {
  const res = await suite.stack.call('POST', `/api/v1/deployments/${id}/${kind}`, { token: suite.stack.admin.token, body: { reason } });
  if (res.status !== 200 && res.status !== 202) throw new SoakCycleError(cycle, kind, `${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
}

export async function runCycle(suite: Suite, cycle: number, variant: SoakVariant): Promise<CycleResult> {
  const { stack, load } = suite;
  const previous = suite.stable;
  const candidate = previous === '1.0.0' ? '2.0.0' : '1.0.0';
  const id = await createDeployment(suite, candidate, HELD_CANARY);
  await stack.waitForDeployment(id, (d) => (d.trafficPercentage === HELD_CANARY.initialPercentage && d.phase === 'Analysing') || ended(d), 180_000);
  if (variant === 'after-promotion') {
    await command(suite, cycle, id, 'promote', `soak cycle ${cycle}`);
    await stack.waitForDeployment(id, (d) => (d.status === 'Active' && d.phase === 'KeepingPreviousWarm') || ended(d), 120_000);
    // Every client answer from the candidate for a moment, so the rollback really moves traffic.
    const promotedAt = Date.now();
    await sleep(2000);
    const after = load.timeline().filter((e) => e.at > promotedAt + 1000 && e.status === 200);
    if (after.length === 0 || after.some((e) => e.version !== candidate)) throw new SoakCycleError(cycle, 'promote', `traffic is not all on ${candidate} after the promotion`);
  } else {
    await sleep(3000); // some answers from the candidate at 10 %
  }
  const calledAt = Date.now();
  await command(suite, cycle, id, 'rollback', `soak cycle ${cycle}`);
  const d = await stack.waitForDeployment(id, (x) => Boolean(x.rollback?.trafficRestoredAt) || ended(x), 120_000);
  let back: number | undefined;
  for (const deadline = Date.now() + 30_000; back === undefined && Date.now() < deadline; ) {
    await sleep(500);
    back = trafficBackAt(load.timeline(), calledAt, previous);
  }
  if (back === undefined) throw new SoakCycleError(cycle, 'rollback', `the candidate ${candidate} still answers 30 s after the rollback call`);
  const done = await stack.waitForDeployment(id, ended, 120_000);
  const r = d.rollback ?? done.rollback;
  return {
    cycle,
    candidate,
    deploymentId: id,
    rollbackMs: back - calledAt,
    recordedRollbackMs: r?.decidedAt && r?.trafficRestoredAt ? Date.parse(r.trafficRestoredAt) - Date.parse(r.decidedAt) : null,
    status: done.status,
  };
}
