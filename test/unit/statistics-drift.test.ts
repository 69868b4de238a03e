import fx from '../fixtures/statistics/drift.json';
import { kolmogorovSf, ksTwoSample, populationStabilityIndex } from '../../domain/statistics/drift';

describe('two-sample Kolmogorov–Smirnov (scipy ks_2samp statistic; kstwobign asymptotic p)', () => {
  it.each(fx.ks.map((c) => [`${c.a.length} vs ${c.b.length}`, c] as const))('%s', (_n, c) => {
    const r = ksTwoSample(c.a, c.b);
    expect(r.statistic).toBeCloseTo(c.statistic, 12);
    expect(Math.abs(r.pValue - c.pValue)).toBeLessThan(1e-10);
  });
  it('worked example and limits', () => {
    expect(ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]).statistic).toBe(0.5);
    expect(kolmogorovSf(0)).toBe(1);
    expect(() => ksTwoSample([], [1])).toThrow(RangeError);
  });
});

describe('population stability index', () => {
  it.each(fx.psi.map((c) => [JSON.stringify(c.reference), c] as const))('%s', (_n, c) => {
    expect(populationStabilityIndex(c.reference, c.current)).toBeCloseTo(c.psi, 12);
  });
  it('is 0 for identical distributions and rejects mismatched bins', () => {
    expect(populationStabilityIndex([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 15);
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(RangeError);
  });
});
