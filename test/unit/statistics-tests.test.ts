import welch from '../fixtures/statistics/welch.json';
import props from '../fixtures/statistics/proportions.json';
import { chiSquare2x2PValue, summarize, twoProportionZTest, welchTTest } from '../../domain/statistics/hypothesis-tests';
import { meanDifferenceInterval, proportionDifferenceInterval, wilsonInterval } from '../../domain/statistics/confidence-intervals';
import { cohensD, cohensH, hedgesG, relativeChange } from '../../domain/statistics/effect-sizes';

const close = (actual: number, expected: number, tol = 1e-9) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));

describe("Welch's t-test (scipy ttest_ind_from_stats, equal_var=False)", () => {
  it.each(welch.map((c) => [`${c.a.n}/${c.b.n}`, c] as const))('%s', (_name, c) => {
    const r = welchTTest(c.a, c.b);
    close(r.t, c.t);
    close(r.df, c.df);
    close(r.pValue, c.pValue, 1e-9);
    const ci95 = meanDifferenceInterval(c.a, c.b, 0.95);
    close(ci95.lower, c.ci95[0]);
    close(ci95.upper, c.ci95[1]);
    const ci90 = meanDifferenceInterval(c.a, c.b, 0.9);
    close(ci90.lower, c.ci90[0]);
    close(ci90.upper, c.ci90[1]);
    close(cohensD(c.a, c.b), c.cohensD);
    close(hedgesG(c.a, c.b), c.hedgesG);
  });

  it('matches the worked example of its doc comment', () => {
    const r = welchTTest({ n: 10, mean: 12, variance: 4 }, { n: 12, mean: 10, variance: 9 });
    close(r.t, 1.865, 1e-3);
    close(r.pValue, 0.0774, 1e-3);
  });

  it('needs two observations per group; zero variance gives an infinite t', () => {
    expect(() => welchTTest({ n: 1, mean: 1, variance: 0 }, { n: 5, mean: 1, variance: 1 })).toThrow(RangeError);
    expect(welchTTest({ n: 3, mean: 2, variance: 0 }, { n: 3, mean: 1, variance: 0 }).pValue).toBe(0);
    expect(welchTTest({ n: 3, mean: 1, variance: 0 }, { n: 3, mean: 1, variance: 0 }).pValue).toBeNaN();
  });

  it('summarize computes mean and sample variance', () => {
    expect(summarize([1, 2, 3])).toEqual({ n: 3, mean: 2, variance: 1 });
    const s = summarize([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]);
    close(s.variance, 30);
  });
});

describe('two-proportion z-test (p-value from scipy chi2_contingency, correction=False)', () => {
  it.each(props.twoProportion.map((c) => [`${c.xa}/${c.na} vs ${c.xb}/${c.nb}`, c] as const))('%s', (_name, c) => {
    const r = twoProportionZTest(c.xa, c.na, c.xb, c.nb);
    close(r.z, c.z);
    close(r.chiSquare, c.chiSquare, 1e-9);
    close(r.pValue, c.pValue, 1e-9);
    close(chiSquare2x2PValue(r.chiSquare), c.pValue, 1e-9);
    const ci = proportionDifferenceInterval(c.xa, c.na, c.xb, c.nb, 0.95);
    close(ci.lower, c.waldCi95[0]);
    close(ci.upper, c.waldCi95[1]);
    close(cohensH(r.pA, r.pB), c.cohensH);
  });

  it('is undefined (z NaN, p 1) when every observation agrees', () => {
    const r = twoProportionZTest(10, 10, 20, 20);
    expect(r.z).toBeNaN();
    expect(r.pValue).toBe(1);
  });

  it('rejects impossible counts', () => {
    expect(() => twoProportionZTest(11, 10, 1, 10)).toThrow(RangeError);
    expect(() => twoProportionZTest(0, 0, 1, 10)).toThrow(RangeError);
  });
});

describe('Wilson interval', () => {
  it.each(props.wilson.map((c) => [`${c.x}/${c.n} @ ${c.level}`, c] as const))('%s', (_name, c) => {
    const w = wilsonInterval(c.x, c.n, c.level);
    close(w.lower, c.interval[0]);
    close(w.upper, c.interval[1]);
  });
});

it('relativeChange', () => {
  close(relativeChange(0.48, 0.43), 0.116279, 1e-6);
});
