/** Confidence intervals that go with the A/B tests. Each returns [lower, upper]. */
import { upperNormalQuantile, studentTQuantile } from './distributions';
import type { SampleSummary } from './hypothesis-tests';
// Why local names: Math.* looked up on the global object inside a vm context (jest, the
// Temporal workflow sandbox) is ~10× slower than a module binding, and these run in tight loops.
const { sqrt } = Math;

export interface Interval {
  lower: number;
  upper: number;
  level: number;
}

/**
 * Welch interval for mean_a − mean_b: (m_a − m_b) ± t_{1−α/2, df} · se (df by Welch–Satterthwaite).
 * Example: a = {10, 12, 4}, b = {12, 10, 9}, level 0.95 → 2 ± 2.0907·1.0724 ≈ [−0.2421, 4.2421].
 */
export function meanDifferenceInterval(a: SampleSummary, b: SampleSummary, level = 0.95): Interval {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = sqrt(va + vb);
  const df = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const q = studentTQuantile(1 - (1 - level) / 2, df);
  const d = a.mean - b.mean;
  return { lower: d - q * se, upper: d + q * se, level };
}

/**
 * Wald interval for p_a − p_b with the unpooled standard error:
 * (p_a − p_b) ± z_{1−α/2} · √(p_a(1 − p_a)/n_a + p_b(1 − p_b)/n_b).
 * Example: 480/1000 vs 430/1000 at 0.95 → 0.05 ± 1.95996·0.022247 ≈ [0.006397, 0.093603].
 * `critical` overrides z_{1−α/2} (a sequential test passes its look's boundary: a repeated CI).
 */
export function proportionDifferenceInterval(successesA: number, nA: number, successesB: number, nB: number, level = 0.95, critical?: number): Interval {
  const pA = successesA / nA;
  const pB = successesB / nB;
  const se = sqrt((pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB);
  const q = critical ?? upperNormalQuantile((1 - level) / 2);
  return { lower: pA - pB - q * se, upper: pA - pB + q * se, level };
}

/**
 * Wilson score interval for one proportion: (p̂ + z²/2n ± z√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n).
 * Example: 45/50 at 0.95 → [0.78640, 0.95654]. Behaves at p̂ = 0 or 1, where Wald collapses.
 */
export function wilsonInterval(successes: number, n: number, level = 0.95): Interval {
  const z = upperNormalQuantile((1 - level) / 2);
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denom = 1 + z2 / n;
  return { lower: (centre - half) / denom, upper: (centre + half) / denom, level };
}
