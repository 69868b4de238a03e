/**
 * The anytime-valid rule set for one analysis look: the three judgements (error rate, latency,
 * accuracy) combined worst-first into the same assessment shape the legacy threshold rules
 * return (domain/deployments/analysis.ts), plus the evidence of every judgement.
 *
 * The false-rollback budget (DECISION_ALPHA, 1 % per rollout) is split evenly over the analysis
 * steps (stepAlpha) and, within a step, over the metrics judged, so a healthy candidate is rolled
 * back with probability ≤ 1 % over the whole rollout, however many looks (extensions) it takes.
 *
 * Worked example (thresholds 0.01 / 1.5 / 0.05, α = 0.01/3 per metric):
 *   control   {requests 4000, errors 20, labelled 3000, correct 2700}   (0.5 %, 90 %)
 *   candidate {requests 4000, errors 22, labelled 3000, correct 2690}   (0.55 %, 89.7 %)
 *   error rate Successful (interval < 1 point), accuracy Successful (< 4.5 points), latency
 *   Successful when the histograms agree → Continue (or Promote on the last step).
 *   With candidate labelled 20, correct 17 (85 % vs 90 %): accuracy Inconclusive (too few
 *   labels to tell) → the window is extended; it is never a rollback on 20 labels.
 */
import type { MetricCheck, MetricWindow, MinSamples, RollbackThresholds, WindowAssessment } from '../deployments/analysis';
import { combineChecks, windowProblems } from '../deployments/analysis';
import type { Judgement } from './judgement';
import { judgeAccuracy, judgeErrorRate, judgeLatency } from './judge-metrics';

/** The false-rollback budget of one rollout, over all its analysis steps, metrics and looks. */
export const DECISION_ALPHA = 0.01;

/**
 * The budget of one analysis step when a rollout has `steps` of them (Bonferroni: the steps'
 * windows are separate tests). Example: stepAlpha(3) = 0.00333; each of its 3 metrics gets 0.00111.
 */
export function stepAlpha(steps: number, alpha = DECISION_ALPHA): number {
  return alpha / Math.max(1, steps);
}

const toCheck = (j: Judgement, candidate: number | null, stable: number | null, limit: number): MetricCheck => ({
  metric: j.metric,
  phase: j.verdict,
  candidate,
  stable,
  limit,
  reason: j.reason,
  evidence: j,
});

/** The judgements of one look, in a fixed order (error rate, latency, accuracy; unconfigured ones left out). */
export function judgeWindow(candidate: MetricWindow, stable: MetricWindow, thresholds: RollbackThresholds, minSamples: MinSamples, alpha = DECISION_ALPHA): Judgement[] {
  const metrics = [thresholds.errorRateIncrease, thresholds.latencyIncrease, thresholds.accuracyDrop].filter((t) => t !== null).length;
  const each = alpha / Math.max(1, metrics);
  const out: Judgement[] = [];
  if (thresholds.errorRateIncrease !== null) {
    out.push(judgeErrorRate({ events: stable.errors, n: stable.requests }, { events: candidate.errors, n: candidate.requests }, thresholds.errorRateIncrease, each, minSamples.requests));
  }
  if (thresholds.latencyIncrease !== null) {
    const arm = (w: MetricWindow) => ({ histogram: w.latencyHistogram, n: Math.max(0, w.requests - w.errors), meanMs: w.meanLatencyMs, stdDevMs: w.latencyStdDevMs });
    out.push(judgeLatency(arm(stable), arm(candidate), thresholds.latencyIncrease, each, minSamples.requests));
  }
  if (thresholds.accuracyDrop !== null) {
    out.push(judgeAccuracy({ events: stable.correct, n: stable.labelled }, { events: candidate.correct, n: candidate.labelled }, thresholds.accuracyDrop, each, minSamples.labelled));
  }
  return out;
}

/**
 * Assesses one look with the anytime-valid tests: Failed anywhere → Rollback; Successful
 * everywhere → Continue / Promote (final); otherwise Inconclusive. An invalid window is Error.
 * `alpha` is this step's budget (stepAlpha); DECISION_ALPHA when the rollout has one step.
 */
export function assessWindowSequential(candidate: MetricWindow, stable: MetricWindow, thresholds: RollbackThresholds, minSamples: MinSamples, options: { final?: boolean; alpha?: number } = {}): WindowAssessment {
  const problems = [...windowProblems(candidate).map((p) => `candidate ${p}`), ...windowProblems(stable).map((p) => `stable ${p}`)];
  const checks: MetricCheck[] = [];
  if (problems.length > 0) {
    checks.push({ metric: 'window', phase: 'Error', candidate: null, stable: null, limit: null, reason: `metric window is not valid: ${problems.join('; ')}` });
  } else {
    for (const j of judgeWindow(candidate, stable, thresholds, minSamples, options.alpha)) {
      const rate = (e: number, n: number) => (n > 0 ? e / n : null);
      if (j.metric === 'errorRate') checks.push(toCheck(j, rate(candidate.errors, candidate.requests), rate(stable.errors, stable.requests), thresholds.errorRateIncrease!));
      if (j.metric === 'latency') checks.push(toCheck(j, candidate.meanLatencyMs, stable.meanLatencyMs, thresholds.latencyIncrease!));
      if (j.metric === 'accuracy') checks.push(toCheck(j, rate(candidate.correct, candidate.labelled), rate(stable.correct, stable.labelled), thresholds.accuracyDrop!));
    }
    if (checks.length === 0) {
      const enough = candidate.requests >= minSamples.requests && stable.requests >= minSamples.requests;
      checks.push({ metric: 'traffic', phase: enough ? 'Successful' : 'Inconclusive', candidate: candidate.requests, stable: stable.requests, limit: minSamples.requests, reason: enough ? 'enough traffic; no thresholds configured' : `traffic: fewer than ${minSamples.requests} requests` });
    }
  }
  return combineChecks(checks, options.final ?? false);
}
