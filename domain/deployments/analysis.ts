/**
 * The analysis decision: turn one metric window of the candidate and one of the stable version
 * into Promote / Continue / Rollback / Inconclusive, argo-rollouts style.
 *
 * Each check ends in one phase of a closed set, and the window's phase is the worst of them:
 *
 *   Successful < Inconclusive < Error < Failed
 *
 * - Failed: measured, and measured bad (a threshold is breached) → Rollback.
 * - Error: could not be measured (invalid numbers, a zero baseline that makes a ratio
 *   meaningless, the metric store unreachable) → Inconclusive. "Couldn't measure" is never
 *   read as "measured bad", and never as a pass either.
 * - Inconclusive: too few samples to judge → Inconclusive. The workflow extends the window a
 *   limited number of times, then fails safe by rolling back: low traffic never passes.
 * - Successful everywhere → Continue (more steps to go) or Promote (the last step).
 */
import { normalSf } from '../statistics/distributions';
import { twoProportionZTest } from '../statistics/hypothesis-tests';
import type { Judgement } from '../decisions/judgement';
import type { RollbackThresholds } from './strategy-config-schemas';

export type { RollbackThresholds };

/** Traffic and quality counts of one version over a time window (summed metric buckets). */
export interface MetricWindow {
  requests: number;
  errors: number;
  p99LatencyMs: number;
  meanLatencyMs: number;
  /** Predictions that received ground-truth feedback. */
  labelled: number;
  /** Labelled predictions that were right. */
  correct: number;
  /** Standard deviation of latency, when the store keeps second moments (needed by Welch's t-test). */
  latencyStdDevMs?: number;
  /** Latency histogram of successful requests (fixed buckets, domain/metrics/histogram.ts), when read from the metric store. */
  latencyHistogram?: number[];
}

export const ANALYSIS_PHASES = ['Successful', 'Inconclusive', 'Error', 'Failed'] as const;
export type AnalysisPhase = (typeof ANALYSIS_PHASES)[number];

/**
 * The worst of some phases (Successful < Inconclusive < Error < Failed); Successful when none.
 * Example: worst('Successful', 'Error', 'Inconclusive') === 'Error'.
 */
export function worst(...phases: AnalysisPhase[]): AnalysisPhase {
  return phases.reduce<AnalysisPhase>((acc, p) => (ANALYSIS_PHASES.indexOf(p) > ANALYSIS_PHASES.indexOf(acc) ? p : acc), 'Successful');
}

export type AnalysisDecision = 'Promote' | 'Continue' | 'Rollback' | 'Inconclusive';
export type MetricName = 'window' | 'traffic' | 'errorRate' | 'p99Latency' | 'meanLatency' | 'latency' | 'accuracy';

export interface MetricCheck {
  metric: MetricName;
  phase: AnalysisPhase;
  candidate: number | null;
  stable: number | null;
  /** The threshold the check compares against (absolute, ratio or relative, per metric). */
  limit: number | null;
  reason: string;
  /** The anytime-valid test's evidence (statistic, bound, interval, samples), for checks judged by domain/decisions. */
  evidence?: Judgement;
}

export interface WindowAssessment {
  decision: AnalysisDecision;
  phase: AnalysisPhase;
  checks: MetricCheck[];
  /** One line per check that was not Successful (or a single line saying all passed). */
  reasons: string[];
  /** Metrics whose thresholds were breached (Failed checks). */
  breached: MetricName[];
}

/** Minimum samples per window: requests for error rate and latency, labelled predictions for accuracy. */
export interface MinSamples {
  requests: number;
  labelled: number;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const pct = (x: number) => `${round(x * 100, 2)}%`;

/** What makes a metric window unusable (negative or non-finite counts, more errors than requests …); empty when it is valid. */
export function windowProblems(w: MetricWindow): string[] {
  const problems: string[] = [];
  for (const key of ['requests', 'errors', 'p99LatencyMs', 'meanLatencyMs', 'labelled', 'correct'] as const) {
    if (typeof w[key] !== 'number' || !Number.isFinite(w[key]) || w[key] < 0) problems.push(`${key} is ${String(w[key])}`);
  }
  if (problems.length === 0 && w.errors > w.requests) problems.push(`errors ${w.errors} exceed requests ${w.requests}`);
  if (problems.length === 0 && w.correct > w.labelled) problems.push(`correct ${w.correct} exceeds labelled ${w.labelled}`);
  return problems;
}

function enoughRequests(candidate: MetricWindow, stable: MetricWindow, min: number): string | null {
  if (candidate.requests < min) return `candidate has ${candidate.requests} requests, needs ${min}`;
  if (stable.requests < min) return `stable has ${stable.requests} requests, needs ${min}`;
  return null;
}

function checkErrorRate(c: MetricWindow, s: MetricWindow, limit: number, min: number): MetricCheck {
  const cr = c.requests > 0 ? c.errors / c.requests : null;
  const sr = s.requests > 0 ? s.errors / s.requests : null;
  const base = { metric: 'errorRate' as const, candidate: cr, stable: sr, limit };
  const short = enoughRequests(c, s, min);
  if (short) return { ...base, phase: 'Inconclusive', reason: `error rate: ${short}` };
  const increase = cr! - sr!;
  if (increase > limit) return { ...base, phase: 'Failed', reason: `error rate ${pct(cr!)} is ${pct(increase)} above stable ${pct(sr!)} (limit +${pct(limit)})` };
  return { ...base, phase: 'Successful', reason: `error rate ${pct(cr!)} vs stable ${pct(sr!)} (limit +${pct(limit)})` };
}

function checkLatency(metric: 'p99Latency' | 'meanLatency', c: MetricWindow, s: MetricWindow, limit: number, min: number): MetricCheck {
  const key = metric === 'p99Latency' ? 'p99LatencyMs' : 'meanLatencyMs';
  const label = metric === 'p99Latency' ? 'p99 latency' : 'mean latency';
  const base = { metric, candidate: c[key], stable: s[key], limit };
  const short = enoughRequests(c, s, min);
  if (short) return { ...base, phase: 'Inconclusive', reason: `${label}: ${short}` };
  if (s[key] <= 0) return { ...base, phase: 'Error', reason: `${label}: stable is ${s[key]} ms, so the ratio is undefined` };
  const ratio = c[key] / s[key];
  if (ratio > limit) return { ...base, phase: 'Failed', reason: `${label} ${round(c[key], 2)} ms is ${round(ratio, 3)}× stable ${round(s[key], 2)} ms (limit ${limit}×)` };
  return { ...base, phase: 'Successful', reason: `${label} ${round(c[key], 2)} ms is ${round(ratio, 3)}× stable (limit ${limit}×)` };
}

/** One-sided significance level of the accuracy rule's evidence test. */
export const ACCURACY_ALPHA = 0.05;

/**
 * One-sided p-value that the candidate's accuracy is really below the stable's (pooled
 * two-proportion z-test; 1 when the test is undefined, i.e. every label agrees).
 */
export function accuracyDropPValue(c: Pick<MetricWindow, 'labelled' | 'correct'>, s: Pick<MetricWindow, 'labelled' | 'correct'>): number {
  const t = twoProportionZTest(s.correct, s.labelled, c.correct, c.labelled);
  return Number.isFinite(t.z) ? normalSf(t.z) : 1;
}

function checkAccuracy(c: MetricWindow, s: MetricWindow, limit: number, min: number, evidence: boolean): MetricCheck {
  const ca = c.labelled > 0 ? c.correct / c.labelled : null;
  const sa = s.labelled > 0 ? s.correct / s.labelled : null;
  const base = { metric: 'accuracy' as const, candidate: ca, stable: sa, limit };
  if (c.labelled < min) return { ...base, phase: 'Inconclusive', reason: `accuracy: candidate has ${c.labelled} labelled predictions, needs ${min}` };
  if (s.labelled < min) return { ...base, phase: 'Inconclusive', reason: `accuracy: stable has ${s.labelled} labelled predictions, needs ${min}` };
  if (sa === 0) return { ...base, phase: 'Error', reason: 'accuracy: stable accuracy is 0, so a relative drop is undefined' };
  const drop = (sa! - ca!) / sa!;
  if (drop > limit) {
    const breach = `accuracy ${pct(ca!)} is ${pct(drop)} below stable ${pct(sa!)} (limit ${pct(limit)} relative)`;
    if (!evidence) return { ...base, phase: 'Failed', reason: breach };
    const p = accuracyDropPValue(c, s);
    if (p < ACCURACY_ALPHA) return { ...base, phase: 'Failed', reason: `${breach}, p = ${round(p, 4)}` };
    return { ...base, phase: 'Inconclusive', reason: `${breach}, but not yet significant on ${c.labelled} vs ${s.labelled} labels (p = ${round(p, 4)} ≥ ${ACCURACY_ALPHA}); waiting for more` };
  }
  return { ...base, phase: 'Successful', reason: `accuracy ${pct(ca!)} vs stable ${pct(sa!)} (limit −${pct(limit)} relative)` };
}

/**
 * Assesses one window. Thresholds (a null threshold is not checked):
 * - errorRateIncrease (absolute): fail when candidate error rate − stable error rate > limit;
 * - latencyIncrease (ratio, on p99 and on mean): fail when candidate / stable > limit;
 * - accuracyDrop (relative): fail when (stable accuracy − candidate accuracy) / stable accuracy > limit
 *   and the candidate is significantly less accurate than stable (one-sided pooled two-proportion
 *   z-test, p < ACCURACY_ALPHA). A drop past the limit that is not yet significant is
 *   Inconclusive: a few dozen labels cannot tell 85 % from 95 % (17/20 vs 19/20: p ≈ 0.14), so a
 *   good version is not rolled back on noise, and it is not promoted on it either; the window
 *   grows until the labels decide. `options.accuracyEvidence: false` is the rule without the test
 *   (workflow histories recorded before it replay with it).
 * Equal to the limit passes. Below the minimum samples a check is Inconclusive, never a pass.
 *
 * Worked example (limits 0.01, 1.5, 0.05; minimum 100 requests, 50 labelled):
 *   stable    {requests 1000, errors 5, p99 100, mean 40, labelled 200, correct 180}  (0.5%, 90%)
 *   candidate {requests  200, errors 2, p99 120, mean 45, labelled  60, correct  53}  (1.0%, 88.3%)
 *   error rate +0.5% ≤ 1% ✓; p99 1.2× ≤ 1.5× ✓; mean 1.125× ✓; accuracy drop 1.85% ≤ 5% ✓ → Continue.
 *   With candidate correct = 48 (80 %): drop 11.1% > 5% and p = 0.019 < 0.05 → Failed → Rollback.
 *   With candidate labelled 20, correct 17 (85 %): drop 5.6% > 5% but p = 0.24 → Inconclusive.
 *   With candidate p99 = 180 ms: 1.8× > 1.5× → Failed → Rollback.
 *   With candidate requests = 40: every request-based check is Inconclusive → Inconclusive.
 */
export function assessWindow(
  candidate: MetricWindow,
  stable: MetricWindow,
  thresholds: RollbackThresholds,
  minSamples: number | MinSamples,
  options: { final?: boolean; accuracyEvidence?: boolean } = {},
): WindowAssessment {
  const min: MinSamples = typeof minSamples === 'number' ? { requests: minSamples, labelled: minSamples } : minSamples;
  const problems = [...windowProblems(candidate).map((p) => `candidate ${p}`), ...windowProblems(stable).map((p) => `stable ${p}`)];
  const checks: MetricCheck[] = [];
  if (problems.length > 0) {
    checks.push({ metric: 'window', phase: 'Error', candidate: null, stable: null, limit: null, reason: `metric window is not valid: ${problems.join('; ')}` });
  } else {
    if (thresholds.errorRateIncrease !== null) checks.push(checkErrorRate(candidate, stable, thresholds.errorRateIncrease, min.requests));
    if (thresholds.latencyIncrease !== null) {
      checks.push(checkLatency('p99Latency', candidate, stable, thresholds.latencyIncrease, min.requests));
      checks.push(checkLatency('meanLatency', candidate, stable, thresholds.latencyIncrease, min.requests));
    }
    if (thresholds.accuracyDrop !== null) checks.push(checkAccuracy(candidate, stable, thresholds.accuracyDrop, min.labelled, options.accuracyEvidence ?? true));
    if (checks.length === 0) {
      const short = enoughRequests(candidate, stable, min.requests);
      checks.push({ metric: 'traffic', phase: short ? 'Inconclusive' : 'Successful', candidate: candidate.requests, stable: stable.requests, limit: min.requests, reason: short ? `traffic: ${short}` : 'enough traffic; no thresholds configured' });
    }
  }
  return combineChecks(checks, options.final ?? false);
}

/**
 * The window's assessment from its checks: the worst phase decides (Failed → Rollback,
 * Successful everywhere → Continue, or Promote on the final step, anything else → Inconclusive).
 */
export function combineChecks(checks: MetricCheck[], final: boolean): WindowAssessment {
  const phase = worst(...checks.map((c) => c.phase));
  const decision: AnalysisDecision = phase === 'Failed' ? 'Rollback' : phase === 'Successful' ? (final ? 'Promote' : 'Continue') : 'Inconclusive';
  const notPassed = checks.filter((c) => c.phase !== 'Successful');
  return {
    decision,
    phase,
    checks,
    reasons: notPassed.length > 0 ? notPassed.map((c) => c.reason) : ['all checks passed'],
    breached: checks.filter((c) => c.phase === 'Failed').map((c) => c.metric),
  };
}

/** The assessment of a window that could not be read at all (the metrics activity failed): Error, so Inconclusive. */
export function unmeasuredWindow(reason: string): WindowAssessment {
  return {
    decision: 'Inconclusive',
    phase: 'Error',
    checks: [{ metric: 'window', phase: 'Error', candidate: null, stable: null, limit: null, reason: `metrics could not be read: ${reason}` }],
    reasons: [`metrics could not be read: ${reason}`],
    breached: [],
  };
}
