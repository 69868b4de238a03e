/**
 * The two tests the A/B strategy uses: Welch's t-test on latency summaries and the
 * two-proportion z-test on accuracy (its square is Pearson's chi-square on the 2×2 table
 * without continuity correction, so both give the same p-value). Both work from summaries,
 * because the metric store keeps counts and moments, not raw samples.
 */
import { chiSquareSf, normalSf, studentTSf } from './distributions';
// Why local names: Math.* looked up on the global object inside a vm context (jest, the
// Temporal workflow sandbox) is ~10× slower than a module binding, and these run in tight loops.
const { abs, min, sqrt } = Math;

/** Count, mean and sample variance (n − 1 denominator) of one group. */
export interface SampleSummary {
  n: number;
  mean: number;
  variance: number;
}

/** Summary of raw values. Example: summarize([1, 2, 3]) → {n: 3, mean: 2, variance: 1}. */
export function summarize(values: readonly number[]): SampleSummary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, variance: NaN };
  let mean = 0;
  let m2 = 0;
  // Welford's update: stable for values far from zero.
  values.forEach((x, i) => {
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  });
  return { n, mean, variance: n > 1 ? m2 / (n - 1) : NaN };
}

export interface WelchTTestResult {
  /** (mean_a − mean_b) / standardError */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  pValue: number;
  meanDifference: number;
  standardError: number;
}

/**
 * Welch's unequal-variance t-test of H0: mean_a = mean_b (two-sided).
 * t = (m_a − m_b) / √(s²_a/n_a + s²_b/n_b), df = (s²_a/n_a + s²_b/n_b)² / Σ (s²/n)²/(n − 1).
 * Worked example: a = {n 10, mean 12, var 4}, b = {n 12, mean 10, var 9} gives se = √(0.4 + 0.75)
 * ≈ 1.0724, t ≈ 1.8650, df ≈ 19.35, p ≈ 0.0774 (scipy.stats.ttest_ind_from_stats, equal_var=False).
 * Needs n ≥ 2 in each group; with zero variance in both, t is ±∞ (p = 0) or NaN (p = NaN) if the means agree.
 */
export function welchTTest(a: SampleSummary, b: SampleSummary): WelchTTestResult {
  if (a.n < 2 || b.n < 2) throw new RangeError('Welch t-test needs at least two observations per group');
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const standardError = sqrt(va + vb);
  const meanDifference = a.mean - b.mean;
  const t = meanDifference / standardError;
  const df = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  let pValue: number;
  if (Number.isNaN(t)) pValue = NaN;
  else if (!Number.isFinite(t)) pValue = 0;
  else pValue = min(1, 2 * studentTSf(abs(t), df));
  return { t, df, pValue, meanDifference, standardError };
}

export interface TwoProportionZTestResult {
  /** (p_a − p_b) / pooled standard error */
  z: number;
  /** Two-sided p-value; equals the chi-square (df 1, no continuity correction) p-value. */
  pValue: number;
  /** z², Pearson's chi-square statistic of the 2×2 table. */
  chiSquare: number;
  pA: number;
  pB: number;
  difference: number;
  pooledStandardError: number;
}

/**
 * Two-proportion z-test of H0: p_a = p_b (two-sided), pooled under H0:
 * p̂ = (x_a + x_b)/(n_a + n_b), se = √(p̂(1 − p̂)(1/n_a + 1/n_b)), z = (x_a/n_a − x_b/n_b)/se.
 * Worked example: 480/1000 vs 430/1000 → p̂ = 0.455, se ≈ 0.022271, z ≈ 2.2451, p ≈ 0.02476
 * (the same p as scipy.stats.chi2_contingency(correction=False)).
 * When every observation is a success (or a failure), the test is undefined: z = NaN, p = 1.
 */
export function twoProportionZTest(successesA: number, nA: number, successesB: number, nB: number): TwoProportionZTestResult {
  if (!(nA > 0 && nB > 0)) throw new RangeError('two-proportion test needs at least one observation per group');
  if (successesA < 0 || successesB < 0 || successesA > nA || successesB > nB) throw new RangeError('successes must be between 0 and n');
  const pA = successesA / nA;
  const pB = successesB / nB;
  const pooled = (successesA + successesB) / (nA + nB);
  const pooledStandardError = sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  const difference = pA - pB;
  if (pooledStandardError === 0) return { z: NaN, pValue: 1, chiSquare: NaN, pA, pB, difference, pooledStandardError };
  const z = difference / pooledStandardError;
  const chiSquare = z * z;
  return { z, pValue: min(1, 2 * normalSf(abs(z))), chiSquare, pA, pB, difference, pooledStandardError };
}

/** p-value of Pearson's chi-square statistic on a 2×2 table (df 1). Example: chiSquare2x2PValue(3.841458821) ≈ 0.05. */
export function chiSquare2x2PValue(chiSquare: number): number {
  return chiSquareSf(chiSquare, 1);
}
