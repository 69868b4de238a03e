/**
 * The mixture sequential probability ratio test (mSPRT) with a normal mixing distribution, and
 * the confidence sequence it yields (Robbins 1970; Johari, Pekelis & Walsh, "Always valid
 * inference", 2017/2022; Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences", Ann. Stat. 2021, the normal-mixture boundary).
 *
 * For an estimate Δ̂ of a difference with (asymptotically normal) variance v, mixing the
 * likelihood ratio of H1: Δ over Δ ~ N(0, τ²) gives
 *
 *   Λ = √(v / (v + τ²)) · exp( τ² Δ̂² / (2 v (v + τ²)) ).
 *
 * Under H0: Δ = 0, Λ is a nonnegative martingale with mean 1, so by Ville's inequality
 * P(Λ ever ≥ 1/α) ≤ α, however often and whenever one looks. Inverting the test gives a
 * confidence sequence: the Δ not rejected are Δ̂ ± halfWidth with
 *
 *   halfWidth = √( 2 v (v + τ²) / τ² · ( ln(1/α) + ½ ln((v + τ²) / v) ) ).
 *
 * τ is the effect size the test is tuned for (it detects that size fastest); we use the
 * configured tolerance. Worked example: v = 1e-4 (sd 0.01), τ = 0.01, α = 0.01 →
 * halfWidth = √(2·1e-4·2·(4.605 + 0.347)) = 0.0445, i.e. 4.45 sd where a single fixed test
 * would use 2.58 sd: the price of looking as often as one likes.
 */
const { exp, log, sqrt } = Math;

/** ln Λ for estimate `delta`, variance `v`, mixing variance `tau2`. Example: msprtLogStatistic(0.03, 1e-4, 1e-4) = ½ln ½ + 9/4 = 1.903. */
export function msprtLogStatistic(delta: number, v: number, tau2: number): number {
  return 0.5 * log(v / (v + tau2)) + (tau2 * delta * delta) / (2 * v * (v + tau2));
}

/** The anytime-valid half-width at level 1 − α. Example: mixtureHalfWidth(1e-4, 1e-4, 0.01) ≈ 0.04450. */
export function mixtureHalfWidth(v: number, tau2: number, alpha: number): number {
  return sqrt(((2 * v * (v + tau2)) / tau2) * (log(1 / alpha) + 0.5 * log((v + tau2) / v)));
}

export interface MixtureEvidence {
  /** Λ (capped at 1e300 so it stays a JSON number). */
  statistic: number;
  bound: number;
  interval: [number, number];
}

/** Λ, its bound 1/α and the confidence-sequence interval for one look. */
export function mixtureEvidence(delta: number, v: number, tau2: number, alpha: number): MixtureEvidence {
  const w = mixtureHalfWidth(v, tau2, alpha);
  return { statistic: Math.min(1e300, exp(msprtLogStatistic(delta, v, tau2))), bound: 1 / alpha, interval: [delta - w, delta + w] };
}
