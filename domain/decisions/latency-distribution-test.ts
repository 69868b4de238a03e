/**
 * A sequential test on the whole latency distribution, from the fixed-bucket histograms the
 * gateways keep (the approach of Lindon, Sanden & Shirikian, "Rapid regression detection in
 * software deployments through sequential testing", KDD 2022: bucket the observations and test
 * the bucket counts with a Dirichlet–multinomial Bayes factor, which may be looked at after
 * every request).
 *
 * H0: both versions draw latencies from one bucket distribution p. H1: each has its own.
 * With a Dirichlet(a, …, a) prior on every distribution the marginal likelihood of counts x
 * (n in all, K buckets) is
 *
 *   DM(x) = Γ(Ka) / Γ(Ka + n) · Π_k Γ(a + x_k) / Γ(a),
 *
 * and the Bayes factor is BF = DM(x_candidate) · DM(x_control) / DM(x_candidate + x_control).
 * Under H0 (averaged over the prior) BF is a martingale with mean 1, so P(BF ever ≥ 1/α) ≤ α
 * (Ville). Each arm pays an Occam factor of about n^{-(K'−1)/2} for the K' buckets it uses,
 * which makes the test conservative for any single p in practice (the simulator measures it).
 * Direction comes from the geometric means: only a slower candidate fails.
 *
 * Worked example (K = 3, a = ½): candidate [0, 10, 0] vs control [10, 0, 0] →
 * ln BF = 2·ln DM([10,0,0]) − ln DM([10,10,0]) = 2·(−3.045) − (−17.236) ≈ 11.15, BF ≈ 6.9e4.
 */
import { lnGamma } from '../statistics/special-functions';
import { LATENCY_BOUNDS_MS } from '../metrics/histogram';

/** Prior weight per bucket: Jeffreys' ½. */
export const DIRICHLET_PRIOR = 0.5;

/** ln DM(x) for counts x under a symmetric Dirichlet(a) prior. */
export function logDirichletMultinomial(counts: readonly number[], a = DIRICHLET_PRIOR): number {
  let n = 0;
  let sum = 0;
  for (const x of counts) {
    n += x;
    if (x > 0) sum += lnGamma(a + x) - lnGamma(a);
  }
  const K = counts.length;
  return lnGamma(K * a) - lnGamma(K * a + n) + sum;
}

/** ln BF of "two bucket distributions" against "one". Example: [0,10,0] vs [10,0,0] → ≈ 11.1. */
export function logHistogramBayesFactor(candidate: readonly number[], control: readonly number[], a = DIRICHLET_PRIOR): number {
  const pooled = candidate.map((x, i) => x + (control[i] ?? 0));
  return logDirichletMultinomial(candidate, a) + logDirichletMultinomial(control, a) - logDirichletMultinomial(pooled, a);
}

/**
 * A representative latency (ms) per bucket: the geometric middle of its bounds; the first bucket
 * uses half its upper bound and the +Inf bucket twice the last bound.
 */
export function bucketLatencyMs(i: number): number {
  if (i === 0) return LATENCY_BOUNDS_MS[0] / 2;
  if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] * 2;
  return Math.sqrt(LATENCY_BOUNDS_MS[i - 1] * LATENCY_BOUNDS_MS[i]);
}

/** Count, mean and variance of ln(latency) from a histogram. Example: [0, 4] → n 4, mean ln √(0.1·0.25), variance 0. */
export function logLatencyMoments(hist: readonly number[]): { n: number; mean: number; variance: number } {
  let n = 0;
  let s = 0;
  let ss = 0;
  hist.forEach((c, i) => {
    if (c <= 0) return;
    const y = Math.log(bucketLatencyMs(i));
    n += c;
    s += c * y;
    ss += c * y * y;
  });
  if (n === 0) return { n: 0, mean: NaN, variance: NaN };
  const mean = s / n;
  return { n, mean, variance: n > 1 ? Math.max(0, (ss - n * mean * mean) / (n - 1)) : 0 };
}
