import fx from '../fixtures/statistics/distributions.json';
import { erf, erfc, lnGamma, regularizedGammaP, regularizedGammaQ, regularizedIncompleteBeta } from '../../domain/statistics/special-functions';
import { chiSquareSf, normalCdf, normalQuantile, normalSf, studentTCdf, studentTQuantile, studentTSf, upperNormalQuantile } from '../../domain/statistics/distributions';

// Reference values: scipy (scripts/make-statistics-fixtures.py). Probabilities to 1e-9 absolute
// and, in the tails, 1e-9 relative; quantiles to 1e-8 relative.
const close = (actual: number, expected: number, abs = 1e-9, rel = 1e-9) => {
  if (!Number.isFinite(expected)) return expect(actual).toBe(expected);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));
};
const relClose = (actual: number, expected: number, rel = 1e-9) => {
  if (expected === 0) return expect(actual).toBeLessThan(1e-300);
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThanOrEqual(rel);
};

describe('special functions', () => {
  it.each(fx.erf)('erf/erfc(%p)', (x, e, ec) => {
    close(erf(x), e, 1e-14);
    relClose(erfc(x), ec, 1e-12);
  });
  it.each(fx.lnGamma)('lnGamma(%p)', (x, expected) => close(lnGamma(x), expected, 1e-12, 1e-13));
  it.each(fx.incompleteBeta)('I_%p(%p, %p)', (x, a, b, expected) => close(regularizedIncompleteBeta(x, a, b), expected, 1e-10));
  it.each(fx.gammaP)('P/Q(%p, %p)', (a, x, p, q) => {
    close(regularizedGammaP(a, x), p, 1e-12);
    relClose(regularizedGammaQ(a, x), q, 1e-10);
  });
});

describe('normal distribution', () => {
  it.each(fx.normalCdf)('Φ(%p)', (z, cdf, sf) => {
    close(normalCdf(z), cdf, 1e-15);
    relClose(normalSf(z), sf, 1e-12);
  });
  it.each(fx.normalQuantile)('Φ⁻¹(%p)', (p, z) => close(normalQuantile(p), z, 1e-12, 1e-10));
  it.each(fx.upperNormalQuantile)('upper quantile(%p)', (q, z) => close(upperNormalQuantile(q), z, 1e-12, 1e-10));
  it('edge cases', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalCdf(0)).toBe(0.5);
  });
});

describe('Student t distribution', () => {
  it.each(fx.studentTCdf)('t = %p, df = %p', (t, df, cdf, sf) => {
    close(studentTCdf(t, df), cdf, 1e-10);
    close(studentTSf(t, df), sf, 1e-10, 1e-8);
  });
  it.each(fx.studentTQuantile)('quantile p = %p, df = %p', (p, df, expected) => close(studentTQuantile(p, df), expected, 1e-9, 1e-8));
  it('rejects non-positive degrees of freedom', () => {
    expect(() => studentTCdf(1, 0)).toThrow(RangeError);
  });
});

describe('chi-square distribution', () => {
  it.each(fx.chiSquareSf)('P(X > %p), df %p', (x, df, expected) => close(chiSquareSf(x, df), expected, 1e-12, 1e-9));
});
