/** Shadow strategy verdict: does the mirrored candidate agree with production closely enough? */
import { worst, type AnalysisPhase } from './analysis';
import type { ShadowConfig } from './strategy-config-schemas';

/** What the prediction log says about mirrored requests over a window. */
export interface ShadowComparison {
  /** Requests answered by both primary and shadow. */
  samples: number;
  /** Share of those where both predicted the same label (classification), 0..1. */
  labelAgreement: number;
  /** Mean |score_shadow − score_primary| over compared requests. */
  meanAbsoluteScoreDifference: number;
  shadowRequests: number;
  shadowErrors: number;
  primaryRequests: number;
  primaryErrors: number;
  shadowP99LatencyMs: number;
  primaryP99LatencyMs: number;
  shadowMeanLatencyMs: number;
  primaryMeanLatencyMs: number;
}

export interface ShadowVerdict {
  phase: AnalysisPhase;
  /** Promote (switch at once), Reject, or keep collecting. */
  decision: 'Promote' | 'Reject' | 'Collecting';
  reasons: string[];
  report: ShadowComparison;
}

/**
 * Assesses a comparison. Below comparisonSamples: Inconclusive (keep collecting; when time is up
 * the workflow rejects — fail safe). Otherwise Failed when the disagreement rate (1 − label
 * agreement) or the mean absolute score difference exceeds predictionDifferenceThreshold, the
 * shadow's p99/mean latency exceeds primary × latencyIncrease, or its error rate exceeds
 * primary's by more than errorRateIncrease.
 * Example (threshold 0.1): 2000 samples, agreement 0.97, score diff 0.03, latency 1.1× → Promote;
 * agreement 0.85 → disagreement 0.15 > 0.1 → Reject.
 */
export function assessShadowComparison(report: ShadowComparison, config: Pick<ShadowConfig, 'comparisonSamples' | 'predictionDifferenceThreshold' | 'latencyIncrease' | 'errorRateIncrease'>, timeUp = false): ShadowVerdict {
  const numbers = Object.entries(report).filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v) || v < 0);
  if (numbers.length > 0) {
    const reasons = [`comparison is not valid: ${numbers.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`];
    return { phase: 'Error', decision: timeUp ? 'Reject' : 'Collecting', reasons, report };
  }
  if (report.samples < config.comparisonSamples) {
    const reasons = [`${report.samples} of ${config.comparisonSamples} comparison samples collected`];
    return { phase: 'Inconclusive', decision: timeUp ? 'Reject' : 'Collecting', reasons: timeUp ? [...reasons, 'time is up: rejecting (fail safe)'] : reasons, report };
  }
  const limit = config.predictionDifferenceThreshold;
  const phases: AnalysisPhase[] = [];
  const reasons: string[] = [];
  const check = (failed: boolean, failText: string) => {
    phases.push(failed ? 'Failed' : 'Successful');
    if (failed) reasons.push(failText);
  };
  const disagreement = 1 - report.labelAgreement;
  check(disagreement > limit, `predictions disagree on ${(disagreement * 100).toFixed(2)}% of requests (limit ${(limit * 100).toFixed(2)}%)`);
  check(report.meanAbsoluteScoreDifference > limit, `mean absolute score difference ${report.meanAbsoluteScoreDifference.toFixed(4)} exceeds ${limit}`);
  if (config.latencyIncrease !== null) {
    const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? Infinity : 1);
    const p99 = ratio(report.shadowP99LatencyMs, report.primaryP99LatencyMs);
    const mean = ratio(report.shadowMeanLatencyMs, report.primaryMeanLatencyMs);
    check(p99 > config.latencyIncrease, `shadow p99 latency is ${p99.toFixed(3)}× primary (limit ${config.latencyIncrease}×)`);
    check(mean > config.latencyIncrease, `shadow mean latency is ${mean.toFixed(3)}× primary (limit ${config.latencyIncrease}×)`);
  }
  if (config.errorRateIncrease !== null) {
    const rate = (e: number, n: number) => (n > 0 ? e / n : 0);
    const increase = rate(report.shadowErrors, report.shadowRequests) - rate(report.primaryErrors, report.primaryRequests);
    check(increase > config.errorRateIncrease, `shadow error rate is ${(increase * 100).toFixed(2)} points above primary (limit ${(config.errorRateIncrease * 100).toFixed(2)})`);
  }
  const phase = worst(...phases);
  if (phase === 'Successful') reasons.push(`agreement ${(report.labelAgreement * 100).toFixed(2)}% over ${report.samples} samples; all checks passed`);
  return { phase, decision: phase === 'Successful' ? 'Promote' : 'Reject', reasons, report };
}
