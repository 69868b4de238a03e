/**
 * Group-sequential testing with Lan–DeMets alpha spending, so an A/B test can be looked at
 * repeatedly and still keep its false-positive rate at α.
 *
 * Why this method: the A/B workflow looks at the data on a timer while samples arrive at an
 * unknown rate, so neither the number nor the timing of looks is known in advance. A spending
 * function α(t) of the information fraction t = n / n_max fixes how much of α may be used up by
 * time t, whatever the schedule; each look's boundary is computed from the looks before it.
 * O'Brien–Fleming-type spending (the default) spends almost nothing early, so a test is not
 * stopped by early noise or a novelty effect, and its last boundary (≈ 2.06 for five equal
 * looks at α = 0.05) costs little power against the fixed-horizon 1.96. A Bonferroni split
 * (α/K per look) would need K in advance and is far more conservative; Pocock-type spending is
 * offered for tests that should stop early on big effects.
 *
 * Boundaries are two-sided on the z scale: reject H0 at look k when |Z_k| ≥ c_k. Under H0,
 * S(t) = Z·√t is Brownian motion in information time; the density of S on the continuation
 * region is carried from look to look on a grid and integrated with Simpson's rule
 * (Armitage–McPherson–Rowe recursion, Jennison & Turnbull ch. 19). Boundaries agree with an
 * independent scipy computation (multivariate normal probabilities) to 1e-3
 * (test/fixtures/statistics/sequential.json); for five equal looks at α = 0.05 with
 * O'Brien–Fleming-type spending they are 4.383, 3.100, 2.553, 2.254, 2.064.
 *
 * The state is plain JSON (numbers and arrays) so a workflow can keep it in history and carry
 * it across continue-as-new.
 */
import { normalCdf, normalPdf, normalSf, upperNormalQuantile } from './distributions';
// Why local names: Math.* looked up on the global object inside a vm context (jest, the
// Temporal workflow sandbox) is ~10× slower than a module binding, and these run in tight loops.
const { E, abs, ceil, log, max, min, sqrt } = Math;

export type SpendingFunction = 'obrien-fleming' | 'pocock';

/** A boundary this high is never crossed (P(|Z| > 40) underflows): no alpha left to spend. */
export const NEVER_REJECT = 40;

/**
 * Cumulative two-sided alpha spent by information fraction t ∈ [0, 1].
 * O'Brien–Fleming type: α(t) = 2 − 2Φ(z_{1−α/2}/√t); Pocock type: α·ln(1 + (e − 1)t).
 * Examples (α = 0.05): obrien-fleming at t = 0.5 ≈ 0.005575; pocock at t = 0.5 ≈ 0.031018.
 */
export function alphaSpent(spending: SpendingFunction, t: number, alpha: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  if (spending === 'pocock') return alpha * log(1 + (E - 1) * t);
  return 2 * normalSf(upperNormalQuantile(alpha / 2) / sqrt(t));
}

export interface SequentialLook {
  /** n / n_max at this look, in (0, 1]. */
  informationFraction: number;
  /** Reject H0 when |Z| ≥ boundary. */
  boundary: number;
  /** Alpha spent up to and including this look. */
  cumulativeAlpha: number;
  /** The two-sided nominal p-value threshold of this look: 2·(1 − Φ(boundary)). */
  nominalAlpha: number;
  final: boolean;
}

export interface SequentialState {
  alpha: number;
  spending: SpendingFunction;
  /** Looks closer than this in information are skipped (their data roll into the next look). */
  minIncrement: number;
  looks: SequentialLook[];
  /** Density of S on the continuation region after the last look, on a uniform grid over [−halfWidth, halfWidth]. */
  density: { halfWidth: number; values: number[] } | null;
  finished: boolean;
}

/** A fresh test. Example: startSequentialTest(0.05) for a two-sided 5% test with O'Brien–Fleming-type spending. */
export function startSequentialTest(alpha: number, spending: SpendingFunction = 'obrien-fleming', minIncrement = 0.01): SequentialState {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  return { alpha, spending, minIncrement, looks: [], density: null, finished: false };
}

/** Simpson weights for n (odd) equally spaced points with spacing h. */
function simpsonWeight(i: number, n: number, h: number): number {
  if (i === 0 || i === n - 1) return h / 3;
  return (i % 2 === 1 ? 4 : 2) * (h / 3);
}

function gridSize(halfWidth: number, increment: number): number {
  // Spacing well below the kernel's standard deviation √Δ keeps Simpson's error under 1e-6.
  const h = min(0.05, sqrt(increment) / 8);
  const half = min(1000, max(25, ceil(halfWidth / h)));
  return 2 * half + 1;
}

/**
 * Plans the next look at information fraction `t`. Returns null (nothing spent) when the test
 * is finished or t has grown by less than `minIncrement` since the last look and the look is not
 * final. A final look (t ≥ 1, or `final` because the test's time is up) spends all alpha left.
 * A final look without new information returns null too: the previous look's verdict stands.
 *
 * Example: five looks at t = 0.2, 0.4, …, 1 give boundaries 4.383, 3.100, 2.553, 2.254, 2.064.
 */
export function nextLook(state: SequentialState, t: number, options: { final?: boolean } = {}): { look: SequentialLook; state: SequentialState } | null {
  if (state.finished) return null;
  const fraction = min(1, t);
  const final = options.final === true || fraction >= 1;
  const previous = state.looks.at(-1);
  const previousT = previous?.informationFraction ?? 0;
  const increment = fraction - previousT;
  if (!(increment > 0) || (increment < state.minIncrement && !(final && increment > 1e-9))) return null;

  const spentBefore = previous?.cumulativeAlpha ?? 0;
  const cumulativeTarget = final ? state.alpha : max(spentBefore, alphaSpent(state.spending, fraction, state.alpha));
  const target = cumulativeTarget - spentBefore;
  const sqrtT = sqrt(fraction);

  let boundary: number;
  let values: number[];
  let halfWidth: number;
  if (!state.density) {
    boundary = target > 0 ? min(NEVER_REJECT, upperNormalQuantile(target / 2)) : NEVER_REJECT;
    halfWidth = boundary * sqrtT;
    const n = gridSize(halfWidth, fraction);
    const h = (2 * halfWidth) / (n - 1);
    values = Array.from({ length: n }, (_, j) => normalPdf((-halfWidth + j * h) / sqrtT) / sqrtT);
  } else {
    const prev = state.density;
    const m = prev.values.length;
    const hPrev = (2 * prev.halfWidth) / (m - 1);
    const sd = sqrt(increment);
    const weighted = prev.values.map((f, i) => f * simpsonWeight(i, m, hPrev));
    const u = (i: number) => -prev.halfWidth + i * hPrev;
    const exitProbability = (c: number): number => {
      const b = c * sqrtT;
      let sum = 0;
      for (let i = 0; i < m; i++) sum += weighted[i] * (normalCdf((-b - u(i)) / sd) + normalSf((b - u(i)) / sd));
      return sum;
    };
    if (target <= 0 || exitProbability(NEVER_REJECT) >= target) {
      boundary = NEVER_REJECT;
    } else {
      let lo = 0;
      let hi = NEVER_REJECT;
      for (let iter = 0; iter < 100 && hi - lo > 1e-10; iter++) {
        const mid = (lo + hi) / 2;
        if (exitProbability(mid) > target) lo = mid;
        else hi = mid;
      }
      boundary = (lo + hi) / 2;
    }
    halfWidth = boundary * sqrtT;
    const n = gridSize(halfWidth, increment);
    const h = (2 * halfWidth) / (n - 1);
    values = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      const s = -halfWidth + j * h;
      let sum = 0;
      for (let i = 0; i < m; i++) sum += weighted[i] * normalPdf((s - u(i)) / sd);
      values[j] = sum / sd;
    }
  }
  const look: SequentialLook = { informationFraction: fraction, boundary, cumulativeAlpha: cumulativeTarget, nominalAlpha: 2 * normalSf(boundary), final };
  return {
    look,
    state: { ...state, looks: [...state.looks, look], density: final ? null : { halfWidth, values }, finished: final },
  };
}

/** True when the statistic crosses the look's boundary. */
export function rejectsNull(z: number, look: SequentialLook): boolean {
  return abs(z) >= look.boundary;
}

/**
 * Boundaries for a fixed schedule of information fractions (the last look is final).
 * Example: groupSequentialBoundaries([0.5, 1], 0.05) ≈ [2.772, 1.979].
 */
export function groupSequentialBoundaries(fractions: readonly number[], alpha: number, spending: SpendingFunction = 'obrien-fleming'): SequentialLook[] {
  let state = startSequentialTest(alpha, spending, 0);
  const looks: SequentialLook[] = [];
  fractions.forEach((t, k) => {
    const next = nextLook(state, t, { final: k === fractions.length - 1 });
    if (!next) throw new RangeError(`information fractions must increase: ${fractions.join(', ')}`);
    state = next.state;
    looks.push(next.look);
  });
  return looks;
}
