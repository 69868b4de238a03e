/**
 * Normal, Student t and chi-square distributions. No statistics library is installed, so these
 * are implemented here over special-functions.ts and checked against scipy
 * (test/fixtures/statistics/distributions.json, absolute error ≤ 1e-9 on probabilities).
 */
import { erfc, lnGamma, regularizedGammaQ, regularizedIncompleteBeta } from './special-functions';
// Why local names: Math.* looked up on the global object inside a vm context (jest, the
// Temporal workflow sandbox) is ~10× slower than a module binding, and these run in tight loops.
const { PI, SQRT2, abs, exp, log, log1p, max, min, sqrt } = Math;

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  return exp(-0.5 * z * z) / sqrt(2 * PI);
}

/** Standard normal CDF Φ(z). Example: normalCdf(1.959963985) ≈ 0.975. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Upper tail 1 − Φ(z), computed directly so it keeps precision for large z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / SQRT2);
}

/**
 * Inverse of Φ. Starts from Abramowitz & Stegun 26.2.23 (error < 4.5e-4) and refines with
 * Newton steps on the accurate CDF, working in the tail that holds p so tiny probabilities
 * keep their precision. Example: normalQuantile(0.975) ≈ 1.959963985.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -lowerTailQuantile(1 - p);
  return lowerTailQuantile(p);
}

/** Quantile of the upper tail: z with 1 − Φ(z) = q, precise for tiny q. Example: upperNormalQuantile(0.025) ≈ 1.96. */
export function upperNormalQuantile(q: number): number {
  if (Number.isNaN(q) || q < 0 || q > 1) return NaN;
  if (q === 0) return Infinity;
  if (q === 1) return -Infinity;
  return q <= 0.5 ? -lowerTailQuantile(q) : lowerTailQuantile(1 - q);
}

/** z ≤ 0 with Φ(z) = p, for 0 < p ≤ 0.5. */
function lowerTailQuantile(p: number): number {
  const t = sqrt(-2 * log(p));
  let z = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 100; i++) {
    const pdf = normalPdf(z);
    if (pdf === 0) break;
    // Newton on ln Φ(z) − ln p converges well even where p underflows towards 1e-300.
    const cdf = normalCdf(z);
    const step = ((log(cdf) - log(p)) * cdf) / pdf;
    z -= step;
    if (abs(step) <= 1e-15 * max(1, abs(z))) break;
  }
  return z;
}

function assertDf(df: number): void {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
}

/** Student t density with `df` degrees of freedom. */
export function studentTPdf(t: number, df: number): number {
  assertDf(df);
  return exp(lnGamma((df + 1) / 2) - lnGamma(df / 2) - 0.5 * log(df * PI) - ((df + 1) / 2) * log1p((t * t) / df));
}

/**
 * Student t CDF through the incomplete beta: for t > 0, P(T ≤ t) = 1 − ½·I_{df/(df+t²)}(df/2, ½).
 * Example: studentTCdf(2.228138852, 10) ≈ 0.975.
 */
export function studentTCdf(t: number, df: number): number {
  assertDf(df);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * tTailMass(t, df);
  return t > 0 ? 1 - tail : tail;
}

/** Upper tail P(T > t), precise for large t. */
export function studentTSf(t: number, df: number): number {
  return studentTCdf(-t, df);
}

/** P(|T| > |t|) = I_{df/(df+t²)}(df/2, ½), computed on the side that keeps precision. */
function tTailMass(t: number, df: number): number {
  const t2 = t * t;
  // x = df/(df+t²) near 1 loses precision for small t: use 1 − I_{t²/(df+t²)}(½, df/2) there.
  if (t2 < df) return 1 - regularizedIncompleteBeta(t2 / (df + t2), 0.5, df / 2);
  return regularizedIncompleteBeta(df / (df + t2), df / 2, 0.5);
}

/** Inverse Student t CDF (Newton from the normal quantile, safeguarded by bisection). Example: studentTQuantile(0.975, 10) ≈ 2.228138852. */
export function studentTQuantile(p: number, df: number): number {
  assertDf(df);
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  // p < 0.5: the quantile is negative; bracket it.
  let lo = -1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  let hi = 0;
  let t = max(lo, min(hi, normalQuantile(p)));
  for (let i = 0; i < 200; i++) {
    const cdf = studentTCdf(t, df);
    if (cdf > p) hi = t;
    else lo = t;
    const pdf = studentTPdf(t, df);
    let next = pdf > 0 ? t - (cdf - p) / pdf : NaN;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (abs(next - t) <= 1e-14 * max(1, abs(t))) return next;
    t = next;
  }
  return t;
}

/** Chi-square upper tail P(X > x) with `df` degrees of freedom. Example: chiSquareSf(3.841458821, 1) ≈ 0.05. */
export function chiSquareSf(x: number, df: number): number {
  assertDf(df);
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}
