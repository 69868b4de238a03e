import fx from '../fixtures/statistics/sequential.json';
import { alphaSpent, groupSequentialBoundaries, nextLook, rejectsNull, startSequentialTest, NEVER_REJECT, type SpendingFunction } from '../../domain/statistics/sequential';
import { twoProportionZTest } from '../../domain/statistics/hypothesis-tests';

describe('alpha spending functions (scipy)', () => {
  it.each(fx.spending)('%s at t = %p', (kind, t, alpha, expected) => {
    expect(Math.abs(alphaSpent(kind as SpendingFunction, t as number, alpha as number) - (expected as number))).toBeLessThan(1e-12);
  });
});

describe('group-sequential boundaries (scipy multivariate normal, independent method)', () => {
  it.each(fx.boundaries.map((b) => [`${b.spending} ${b.fractions.map((f) => f.toFixed(2)).join(',')}`, b] as const))('%s', (_n, b) => {
    const looks = groupSequentialBoundaries(b.fractions, b.alpha, b.spending as SpendingFunction);
    looks.forEach((look, k) => expect(Math.abs(look.boundary - b.boundaries[k])).toBeLessThan(1e-3));
    expect(looks.at(-1)!.cumulativeAlpha).toBe(b.alpha);
  });
});

describe('nextLook', () => {
  it('skips looks without enough new information, then spends everything at the final look', () => {
    let state = startSequentialTest(0.05);
    expect(nextLook(state, 0.005)).toBeNull();
    const first = nextLook(state, 0.3)!;
    state = first.state;
    expect(nextLook(state, 0.305)).toBeNull();
    const final = nextLook(state, 0.6, { final: true })!;
    expect(final.look.final).toBe(true);
    expect(final.look.cumulativeAlpha).toBe(0.05);
    expect(final.state.finished).toBe(true);
    expect(nextLook(final.state, 0.9)).toBeNull();
  });

  it('a final look with no new information spends nothing (the previous verdict stands)', () => {
    const first = nextLook(startSequentialTest(0.05), 0.5)!;
    expect(nextLook(first.state, 0.5, { final: true })).toBeNull();
  });

  it('caps information at 1 and treats it as final', () => {
    const only = nextLook(startSequentialTest(0.05), 1.7)!;
    expect(only.look.informationFraction).toBe(1);
    expect(only.look.boundary).toBeCloseTo(1.959964, 5);
  });

  it('state survives JSON (continue-as-new carries it)', () => {
    const a = nextLook(startSequentialTest(0.05), 0.25)!;
    const b1 = nextLook(a.state, 0.6)!;
    const b2 = nextLook(JSON.parse(JSON.stringify(a.state)), 0.6)!;
    expect(b2.look).toEqual(b1.look);
  });

  it('never returns a non-finite boundary (Infinity would not survive JSON)', () => {
    const first = nextLook(startSequentialTest(1e-9), 0.011)!;
    expect(first.look.boundary).toBeLessThanOrEqual(NEVER_REJECT);
    expect(Number.isFinite(first.look.boundary)).toBe(true);
  });
});

// Why a local binding: imul looked up on jest's vm-context global is ~40× slower.
const { imul } = Math;

/** mulberry32: a tiny seeded PRNG, so the simulation gives the same numbers on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Simulated A/A tests: both arms have the same accuracy p, so every rejection is a false
 * positive. At each look the two-proportion z-test runs on all samples so far.
 */
function simulateFalsePositiveRate(opts: { trials: number; samplesPerArm: number; fractions: number[]; p: number; seed: number; reject: (z: number, pValue: number, look: number) => boolean }): number {
  const random = mulberry32(opts.seed);
  const checkpoints = opts.fractions.map((f) => Math.round(f * opts.samplesPerArm));
  let falsePositives = 0;
  for (let trial = 0; trial < opts.trials; trial++) {
    let a = 0;
    let b = 0;
    let n = 0;
    for (let look = 0; look < checkpoints.length; look++) {
      for (; n < checkpoints[look]; n++) {
        if (random() < opts.p) a++;
        if (random() < opts.p) b++;
      }
      const r = twoProportionZTest(a, n, b, n);
      if (Number.isFinite(r.z) && opts.reject(r.z, r.pValue, look)) {
        falsePositives++;
        break;
      }
    }
  }
  return falsePositives / opts.trials;
}

describe('A/B stopping rule under repeated looks (simulated A/A tests)', () => {
  const alpha = 0.05;
  const trials = 4000;
  // Monte Carlo standard error at 5% over 4000 trials ≈ 0.0034; allow about 4 of them.
  const tolerance = 0.015;
  const tenLooks = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
  const irregular = [0.04, 0.1, 0.13, 0.3, 0.5, 0.52, 0.75, 0.9, 1];

  it.each([
    ['O\'Brien–Fleming, 10 equal looks', 'obrien-fleming', tenLooks],
    ['O\'Brien–Fleming, 9 irregular looks', 'obrien-fleming', irregular],
    ['Pocock, 10 equal looks', 'pocock', tenLooks],
  ] as const)('%s keeps the false-positive rate at α', (_name, spending, fractions) => {
    const looks = groupSequentialBoundaries(fractions, alpha, spending);
    const fpr = simulateFalsePositiveRate({ trials, samplesPerArm: 2000, fractions: [...fractions], p: 0.8, seed: 42, reject: (z, _p, k) => rejectsNull(z, looks[k]) });
    expect(fpr).toBeLessThanOrEqual(alpha + tolerance);
    // …and is not trivially conservative: it does use its alpha.
    expect(fpr).toBeGreaterThan(alpha / 2);
  });

  it('naive repeated testing (p < α at any of 10 looks) exceeds α by far', () => {
    const fpr = simulateFalsePositiveRate({ trials, samplesPerArm: 2000, fractions: tenLooks, p: 0.8, seed: 42, reject: (_z, p) => p < alpha });
    expect(fpr).toBeGreaterThan(alpha + 0.07);
  });

  it('a single fixed-horizon test at α is the reference', () => {
    const fpr = simulateFalsePositiveRate({ trials, samplesPerArm: 2000, fractions: [1], p: 0.8, seed: 7, reject: (_z, p) => p < alpha });
    expect(Math.abs(fpr - alpha)).toBeLessThan(tolerance);
  });
});
