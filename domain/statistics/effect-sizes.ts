/** Effect sizes stored with an A/B result, so "significant" comes with "how much". */
import type { SampleSummary } from './hypothesis-tests';
// Why local names: Math.* looked up on the global object inside a vm context (jest, the
// Temporal workflow sandbox) is ~10× slower than a module binding, and these run in tight loops.
const { asin, sqrt } = Math;

/**
 * Cohen's h for two proportions: 2·asin(√p_a) − 2·asin(√p_b). |h| ≈ 0.2 small, 0.5 medium, 0.8 large.
 * Example: cohensH(0.48, 0.43) ≈ 0.10036.
 */
export function cohensH(pA: number, pB: number): number {
  return 2 * asin(sqrt(pA)) - 2 * asin(sqrt(pB));
}

/**
 * Cohen's d with the pooled standard deviation √(((n_a − 1)s²_a + (n_b − 1)s²_b)/(n_a + n_b − 2)).
 * Example: a = {10, 12, 4}, b = {12, 10, 9} → s_p = √(135/20) ≈ 2.5981, d ≈ 0.76980.
 */
export function cohensD(a: SampleSummary, b: SampleSummary): number {
  const pooled = sqrt(((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2));
  return (a.mean - b.mean) / pooled;
}

/** Hedges' g: Cohen's d with the small-sample correction 1 − 3/(4(n_a + n_b) − 9). Example: same groups → g ≈ 0.74046. */
export function hedgesG(a: SampleSummary, b: SampleSummary): number {
  return cohensD(a, b) * (1 - 3 / (4 * (a.n + b.n) - 9));
}

/** Relative change of a over b: (a − b)/b. Example: relativeChange(0.48, 0.43) ≈ 0.11628. */
export function relativeChange(a: number, b: number): number {
  return (a - b) / b;
}
