/** Distribution drift between a reference sample and a current one (feature or score drift). */
// Why local names: Math.* looked up on the global object inside a vm context (jest, the
// Temporal workflow sandbox) is ~10× slower than a module binding, and these run in tight loops.
const { abs, exp, log, max, min, sqrt } = Math;

/**
 * Population Stability Index over matching bins: Σ (c_i − r_i)·ln(c_i / r_i), where r_i and c_i
 * are the bin shares. Empty bins get `epsilon` so the log stays finite. Rule of thumb: < 0.1
 * stable, 0.1–0.25 moderate shift, > 0.25 (the spec uses 0.3) significant drift.
 * Example: psi([50, 50], [40, 60]) = (0.4 − 0.5)·ln(0.8) + (0.6 − 0.5)·ln(1.2) ≈ 0.040547.
 */
export function populationStabilityIndex(referenceCounts: readonly number[], currentCounts: readonly number[], epsilon = 1e-4): number {
  if (referenceCounts.length !== currentCounts.length || referenceCounts.length === 0) throw new RangeError('PSI needs the same non-empty bins for both samples');
  const refTotal = referenceCounts.reduce((a, b) => a + b, 0);
  const curTotal = currentCounts.reduce((a, b) => a + b, 0);
  if (refTotal <= 0 || curTotal <= 0) throw new RangeError('PSI needs counts in both samples');
  let psi = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = max(referenceCounts[i] / refTotal, epsilon);
    const c = max(currentCounts[i] / curTotal, epsilon);
    psi += (c - r) * log(c / r);
  }
  return psi;
}

/**
 * Kolmogorov distribution survival function Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}
 * (the asymptotic p-value of a KS statistic scaled by √(n_eff)).
 */
export function kolmogorovSf(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.2) return 1; // The series converges slowly here and the value is 1 to 1e-12.
  let sum = 0;
  for (let k = 1; k <= 200; k++) {
    const term = exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return max(0, min(1, 2 * sum));
}

export interface KsResult {
  /** sup |F_a(x) − F_b(x)| */
  statistic: number;
  /** Asymptotic two-sided p-value: Q_KS(√(n_a n_b/(n_a + n_b)) · D). */
  pValue: number;
}

/**
 * Two-sample Kolmogorov–Smirnov test with the asymptotic p-value (scipy's ks_2samp(method='asymp')).
 * Example: a = [1, 2, 3, 4], b = [3, 4, 5, 6] → D = 0.5.
 */
export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  if (a.length === 0 || b.length === 0) throw new RangeError('KS test needs two non-empty samples');
  const xs = [...a].sort((p, q) => p - q);
  const ys = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < xs.length && j < ys.length) {
    const x = min(xs[i], ys[j]);
    while (i < xs.length && xs[i] <= x) i++;
    while (j < ys.length && ys[j] <= x) j++;
    d = max(d, abs(i / xs.length - j / ys.length));
  }
  const en = sqrt((xs.length * ys.length) / (xs.length + ys.length));
  return { statistic: d, pValue: kolmogorovSf(en * d) };
}
