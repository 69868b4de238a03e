/**
 * One anytime-valid judgement per metric: error rate, accuracy, latency. Each asks two
 * questions of an anytime-valid interval for the degradation Δ (candidate worse than control
 * is positive):
 *
 * - Failed: the whole interval is above 0 — the candidate is worse, with false-alarm rate ≤ α
 *   however often the window is looked at (for latency: the histogram Bayes factor crosses 1/α
 *   and the candidate is the slower one).
 * - Successful: the whole interval is below the margin (the configured tolerance) — any
 *   degradation is smaller than what the rollout tolerates (non-inferiority).
 * - Inconclusive: neither yet, or fewer samples than the configured minimum.
 *
 * Worked example (error rate, margin 0.01, α = 0.01/3): control 10/2000, candidate 40/2000 →
 * Δ̂ = 1.5 points, interval ≈ [0.12, 2.88] points: Failed. Control 10/2000, candidate 12/2000 →
 * Δ̂ = 0.1 point, interval ≈ [−0.83, 1.03] points: Inconclusive (2,000 requests cannot yet show
 * the increase is under 1 point). Control 100/20000, candidate 30/6000: Successful.
 */
import { type JudgedMetric, type Judgement, type Verdict, sig } from './judgement';
import { logHistogramBayesFactor, logLatencyMoments } from './latency-distribution-test';
import { mixtureEvidence } from './mixture-sequential';

export interface ProportionArm {
  /** Events (errors, or correct predictions). */
  events: number;
  n: number;
}

/** The smallest mixing scale: a zero tolerance still needs a finite τ. */
const MIN_TAU = 1e-3;
const pct = (x: number) => `${sig(x * 100, 3)}%`;

function verdictOf(interval: [number, number], margin: number): Verdict {
  if (interval[0] > 0) return 'Failed';
  if (interval[1] < margin) return 'Successful';
  return 'Inconclusive';
}

function tooFew(metric: JudgedMetric, test: string, control: number, candidate: number, min: number, margin: number, alpha: number, what: string): Judgement | null {
  if (control >= min && candidate >= min) return null;
  const short = candidate < min ? `candidate has ${candidate} ${what}` : `control has ${control} ${what}`;
  return { metric, verdict: 'Inconclusive', test, statistic: 1, bound: 1 / alpha, estimate: 0, interval: null, margin, alpha, samples: { control, candidate }, reason: `${metric}: ${short}, needs ${min}` };
}

/** Smoothed rate (adds half an event and half a non-event) so a zero count still has a variance. */
const smoothed = (a: ProportionArm) => (a.events + 0.5) / (a.n + 1);

function proportionJudgement(metric: 'errorRate' | 'accuracy', control: ProportionArm, candidate: ProportionArm, margin: number, alpha: number, minSamples: number, sign: 1 | -1): Judgement {
  const test = 'msprt-normal-mixture';
  const short = tooFew(metric, test, control.n, candidate.n, Math.max(1, minSamples), margin, alpha, metric === 'accuracy' ? 'labelled predictions' : 'requests');
  if (short) return short;
  const pc = smoothed(candidate);
  const ps = smoothed(control);
  const delta = sign * (candidate.events / candidate.n - control.events / control.n);
  // The larger of the pooled and the unpooled variance: the pooled one keeps a rare event's
  // variance honest when one arm saw none of it by chance (0 errors in 700 requests is not a 0 % rate).
  const pooled = (candidate.events + control.events + 1) / (candidate.n + control.n + 2);
  const v = Math.max((pc * (1 - pc)) / candidate.n + (ps * (1 - ps)) / control.n, pooled * (1 - pooled) * (1 / candidate.n + 1 / control.n));
  const tau = Math.max(MIN_TAU, margin);
  const e = mixtureEvidence(delta, v, tau * tau, alpha);
  const verdict = verdictOf(e.interval, margin);
  const name = metric === 'accuracy' ? 'accuracy drop' : 'error-rate increase';
  const range = `[${pct(e.interval[0])}, ${pct(e.interval[1])}]`;
  const why =
    verdict === 'Failed'
      ? `${name} ${pct(delta)} is above 0 with ${range} (Λ = ${sig(e.statistic, 3)} ≥ ${sig(e.bound, 4)})`
      : verdict === 'Successful'
        ? `${name} ${pct(delta)}, ${range} below the ${pct(margin)} tolerance`
        : `${name} ${pct(delta)}, ${range}: neither above 0 nor below the ${pct(margin)} tolerance yet`;
  return {
    metric,
    verdict,
    test,
    statistic: sig(e.statistic, 6),
    bound: sig(e.bound, 6),
    estimate: sig(delta, 6),
    interval: [sig(e.interval[0], 6), sig(e.interval[1], 6)],
    margin: sig(margin, 6),
    alpha: sig(alpha, 6),
    samples: { control: control.n, candidate: candidate.n },
    reason: `${why} on ${control.n} vs ${candidate.n}`,
  };
}

/** Error rate: Δ = candidate rate − control rate; margin = the configured absolute increase. */
export function judgeErrorRate(control: ProportionArm, candidate: ProportionArm, margin: number, alpha: number, minSamples: number): Judgement {
  return proportionJudgement('errorRate', control, candidate, margin, alpha, minSamples, 1);
}

/**
 * Accuracy: Δ = control accuracy − candidate accuracy (points); the configured relative drop
 * becomes an absolute margin on the control's accuracy (0.05 of 90 % = 4.5 points).
 */
export function judgeAccuracy(control: ProportionArm, candidate: ProportionArm, relativeDrop: number, alpha: number, minSamples: number): Judgement {
  const base = control.n > 0 ? control.events / control.n : 0;
  return proportionJudgement('accuracy', control, candidate, relativeDrop * base, alpha, minSamples, -1);
}

export interface LatencyArm {
  /** Fixed-bucket histogram of successful requests' latency (domain/metrics/histogram.ts). */
  histogram?: readonly number[];
  /** Fallbacks when no histogram is kept: count, mean and standard deviation (ms). */
  n: number;
  meanMs: number;
  stdDevMs?: number;
}

/**
 * Latency: Δ = ln(candidate geometric mean / control geometric mean); margin = ln(configured
 * ratio). Failed needs the histogram Bayes factor ≥ 1/α with a slower candidate (or, without
 * histograms, the interval on the log ratio of means above 0). Successful: the interval on Δ
 * below ln(ratio). Example: ratio 1.5 → margin 0.405; a candidate 1.5× slower has Δ = 0.405.
 */
export function judgeLatency(control: LatencyArm, candidate: LatencyArm, ratioLimit: number, alpha: number, minSamples: number): Judgement {
  const margin = Math.log(Math.max(1, ratioLimit));
  const tau = Math.max(MIN_TAU, margin);
  const withHist = !!(control.histogram && candidate.histogram && control.histogram.some((c) => c > 0) && candidate.histogram.some((c) => c > 0));
  const test = withHist ? 'dirichlet-multinomial-sequential' : 'msprt-normal-mixture';
  let delta: number;
  let v: number;
  let nc: number;
  let ns: number;
  if (withHist) {
    const c = logLatencyMoments(candidate.histogram!);
    const s = logLatencyMoments(control.histogram!);
    [nc, ns] = [c.n, s.n];
    delta = c.mean - s.mean;
    // A floor on the spread: a histogram in one bucket has variance 0 but is not exact.
    v = Math.max(c.variance, 0.01) / Math.max(1, c.n) + Math.max(s.variance, 0.01) / Math.max(1, s.n);
  } else {
    [nc, ns] = [candidate.n, control.n];
    const cv = (a: LatencyArm) => (a.stdDevMs !== undefined && a.meanMs > 0 ? a.stdDevMs / a.meanMs : NaN);
    delta = candidate.meanMs > 0 && control.meanMs > 0 ? Math.log(candidate.meanMs / control.meanMs) : NaN;
    v = Math.max(cv(candidate) ** 2, 1e-4) / Math.max(1, nc) + Math.max(cv(control) ** 2, 1e-4) / Math.max(1, ns);
  }
  const short = tooFew('latency', test, ns, nc, Math.max(1, minSamples), margin, alpha, 'timed requests');
  if (short) return short;
  if (!Number.isFinite(delta) || !Number.isFinite(v)) {
    return { metric: 'latency', verdict: 'Inconclusive', test, statistic: 1, bound: 1 / alpha, estimate: 0, interval: null, margin, alpha, samples: { control: ns, candidate: nc }, reason: 'latency: no spread recorded (neither histograms nor standard deviations), so no test can run' };
  }
  const e = mixtureEvidence(delta, v, tau * tau, alpha);
  let statistic = e.statistic;
  let failed = e.interval[0] > 0;
  if (withHist) {
    statistic = Math.min(1e300, Math.exp(logHistogramBayesFactor(candidate.histogram!, control.histogram!)));
    failed = statistic >= 1 / alpha && delta > 0;
  }
  const verdict: Verdict = failed ? 'Failed' : e.interval[1] < margin ? 'Successful' : 'Inconclusive';
  const ratio = (x: number) => `${sig(Math.exp(x), 3)}×`;
  const range = `[${ratio(e.interval[0])}, ${ratio(e.interval[1])}]`;
  const why =
    verdict === 'Failed'
      ? withHist
        ? `latency distribution differs (Bayes factor ${sig(statistic, 3)} ≥ ${sig(1 / alpha, 4)}) and the candidate is slower (${ratio(delta)} geometric mean)`
        : `mean latency ${ratio(delta)} of control, ${range} above 1×`
      : verdict === 'Successful'
        ? `latency ${ratio(delta)} of control, ${range} below the ${sig(ratioLimit, 3)}× tolerance`
        : `latency ${ratio(delta)} of control, ${range}: not yet below the ${sig(ratioLimit, 3)}× tolerance`;
  return {
    metric: 'latency',
    verdict,
    test,
    statistic: sig(statistic, 6),
    bound: sig(1 / alpha, 6),
    estimate: sig(delta, 6),
    interval: [sig(e.interval[0], 6), sig(e.interval[1], 6)],
    margin: sig(margin, 6),
    alpha: sig(alpha, 6),
    samples: { control: ns, candidate: nc },
    reason: `${why} on ${ns} vs ${nc}`,
  };
}
