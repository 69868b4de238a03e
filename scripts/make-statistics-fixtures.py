#!/usr/bin/env python3
"""Reference values for domain/statistics, computed independently with scipy.

Run: .tools/py-examples/bin/python scripts/make-statistics-fixtures.py
Writes test/fixtures/statistics/*.json (committed). The TypeScript implementations are
compared against these in test/unit/statistics-*.test.ts.

Sequential boundaries are computed here by a different method from the TypeScript
(numerical integration on a grid there; Genz's multivariate normal CDF and root finding here).
"""
import json
import math
import os

import numpy as np
from scipy import optimize, special, stats

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'statistics')


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')


def distributions():
    zs = [-38, -20, -10, -8.5, -6, -5, -3.3, -2, -1.96, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 1.5, 1.96, 2.5, 3, 4.2, 6, 8, 10]
    ps = [1e-300, 1e-100, 1e-20, 1e-10, 1e-6, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-6, 1 - 1e-12]
    dfs = [1, 2, 2.5, 3, 5, 7.3, 10, 30, 100, 1000, 1e4, 1e5, 1e6]
    ts = [-50, -8, -3, -2.1, -1, -0.2, 0, 0.1, 0.7, 1.5, 2.2, 4, 12, 100]
    tps = [1e-8, 1e-4, 0.01, 0.025, 0.05, 0.2, 0.5, 0.8, 0.95, 0.975, 0.995, 1 - 1e-6]
    return {
        'erf': [[x, float(special.erf(x)), float(special.erfc(x))] for x in [-3, -2.4, -1, -0.3, 0, 1e-8, 0.2, 0.9, 1.7, 2.49, 2.5, 2.51, 3.5, 5, 9, 26]],
        'lnGamma': [[x, float(special.gammaln(x))] for x in [1e-6, 0.1, 0.5, 1, 1.5, 2, 3.7, 10, 55.5, 171, 1e4, 5e5]],
        'incompleteBeta': [[x, a, b, float(special.betainc(a, b, x))] for (x, a, b) in [(0.5, 2, 3), (0.1, 0.5, 0.5), (0.9, 5, 0.5), (0.3, 10, 20), (0.999, 50000, 0.5), (0.2, 0.5, 400), (0.5, 1, 1), (0.75, 3.3, 7.1)]],
        'gammaP': [[a, x, float(special.gammainc(a, x)), float(special.gammaincc(a, x))] for (a, x) in [(0.5, 0.1), (0.5, 2), (1, 1), (3, 0.5), (3, 10), (10, 9), (25, 40), (0.5, 30)]],
        'normalCdf': [[z, float(stats.norm.cdf(z)), float(stats.norm.sf(z))] for z in zs],
        'normalQuantile': [[p, float(stats.norm.ppf(p))] for p in ps],
        'upperNormalQuantile': [[q, float(stats.norm.isf(q))] for q in ps],
        'studentTCdf': [[t, df, float(stats.t.cdf(t, df)), float(stats.t.sf(t, df))] for df in dfs for t in ts],
        'studentTQuantile': [[p, df, float(stats.t.ppf(p, df))] for df in dfs for p in tps],
        'chiSquareSf': [[x, df, float(stats.chi2.sf(x, df))] for (x, df) in [(0.001, 1), (1, 1), (3.841458820694124, 1), (10, 1), (50, 1), (2, 2), (7.8, 3), (30, 10)]],
    }


def welch():
    cases = [
        ((10, 12, 4), (12, 10, 9)),
        ((1000, 52.3, 81.0), (1000, 51.1, 64.0)),
        ((5000, 20.0, 25.0), (4800, 20.05, 30.0)),
        ((3, 1.0, 0.5), (4, 2.0, 2.5)),
        ((50, 100.0, 400.0), (70, 90.0, 100.0)),
        ((200000, 11.0, 9.0), (180000, 11.02, 9.5)),
    ]
    out = []
    for (na, ma, va), (nb, mb, vb) in cases:
        r = stats.ttest_ind_from_stats(ma, math.sqrt(va), na, mb, math.sqrt(vb), nb, equal_var=False)
        sea = va / na
        seb = vb / nb
        se = math.sqrt(sea + seb)
        df = (sea + seb) ** 2 / (sea ** 2 / (na - 1) + seb ** 2 / (nb - 1))
        q = stats.t.ppf(0.975, df)
        q90 = stats.t.ppf(0.95, df)
        sp = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        d = (ma - mb) / sp
        out.append({
            'a': {'n': na, 'mean': ma, 'variance': va}, 'b': {'n': nb, 'mean': mb, 'variance': vb},
            't': float(r.statistic), 'pValue': float(r.pvalue), 'df': df,
            'ci95': [ma - mb - q * se, ma - mb + q * se], 'ci90': [ma - mb - q90 * se, ma - mb + q90 * se],
            'cohensD': d, 'hedgesG': d * (1 - 3 / (4 * (na + nb) - 9)),
        })
    return out


def proportions():
    cases = [(480, 1000, 430, 1000), (95, 100, 90, 100), (8000, 10000, 8100, 10000), (3, 20, 9, 25), (501, 1000, 499, 1000), (0, 50, 3, 50), (970, 1000, 950, 1000)]
    out = []
    for xa, na, xb, nb in cases:
        table = np.array([[xa, na - xa], [xb, nb - xb]])
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
        pa, pb = xa / na, xb / nb
        pooled = (xa + xb) / (na + nb)
        z = (pa - pb) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        zc = stats.norm.isf(0.025)
        out.append({'xa': xa, 'na': na, 'xb': xb, 'nb': nb, 'z': z, 'chiSquare': float(chi2), 'pValue': float(p),
                    'waldCi95': [pa - pb - zc * se, pa - pb + zc * se],
                    'cohensH': 2 * math.asin(math.sqrt(pa)) - 2 * math.asin(math.sqrt(pb))})
    wilson = []
    for x, n, level in [(45, 50, 0.95), (0, 20, 0.95), (20, 20, 0.9), (500, 1000, 0.99), (3, 7, 0.95)]:
        zc = stats.norm.isf((1 - level) / 2)
        p = x / n
        centre = p + zc * zc / (2 * n)
        half = zc * math.sqrt(p * (1 - p) / n + zc * zc / (4 * n * n))
        den = 1 + zc * zc / n
        wilson.append({'x': x, 'n': n, 'level': level, 'interval': [(centre - half) / den, (centre + half) / den]})
    return {'twoProportion': out, 'wilson': wilson}


def spending(kind, t, alpha):
    if t <= 0:
        return 0.0
    if t >= 1:
        return alpha
    if kind == 'pocock':
        return alpha * math.log(1 + (math.e - 1) * t)
    return float(2 * stats.norm.sf(stats.norm.isf(alpha / 2) / math.sqrt(t)))


def rect_prob(bounds, corr):
    """P(|Z_i| < b_i for all i) for a multivariate normal with correlation `corr`."""
    k = len(bounds)
    if k == 1:
        return float(1 - 2 * stats.norm.sf(bounds[0]))
    b = np.array(bounds)
    return float(stats.multivariate_normal.cdf(b, mean=np.zeros(k), cov=corr, lower_limit=-b, abseps=1e-7, releps=0, maxpts=200_000 * k))


def boundaries(fractions, alpha, kind):
    k = len(fractions)
    corr = np.array([[math.sqrt(min(fractions[i], fractions[j]) / max(fractions[i], fractions[j])) for j in range(k)] for i in range(k)])
    found = []
    for i, t in enumerate(fractions):
        target = alpha if i == k - 1 else spending(kind, t, alpha)
        sub = corr[: i + 1, : i + 1]
        f = lambda c: (1 - rect_prob(found + [c], sub)) - target
        found.append(float(optimize.brentq(f, 0.5, 12, xtol=1e-9)))
    return found


def sequential():
    schedules = [
        ('obrien-fleming', [0.5, 1.0]),
        ('obrien-fleming', [1 / 3, 2 / 3, 1.0]),
        ('obrien-fleming', [0.2, 0.4, 0.6, 0.8, 1.0]),
        ('obrien-fleming', [0.1, 0.25, 0.45, 0.7, 1.0]),
        ('pocock', [0.2, 0.4, 0.6, 0.8, 1.0]),
        ('pocock', [0.3, 0.5, 1.0]),
    ]
    return {
        'spending': [[kind, t, 0.05, spending(kind, t, 0.05)] for kind in ['obrien-fleming', 'pocock'] for t in [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]],
        'boundaries': [{'spending': kind, 'alpha': 0.05, 'fractions': fr, 'boundaries': boundaries(fr, 0.05, kind)} for kind, fr in schedules],
    }


def drift():
    rng = np.random.default_rng(20251123)
    ks = []
    for na, nb, shift in [(50, 60, 0.0), (200, 150, 0.3), (1000, 1000, 0.1), (30, 400, 1.0)]:
        a = np.round(rng.normal(0, 1, na), 6)
        b = np.round(rng.normal(shift, 1, nb), 6)
        d = float(stats.ks_2samp(a, b).statistic)
        en = na * nb / (na + nb)
        ks.append({'a': a.tolist(), 'b': b.tolist(), 'statistic': d, 'pValue': float(stats.kstwobign.sf(math.sqrt(en) * d))})
    psi = []
    for ref, cur in [([50, 50], [40, 60]), ([10, 20, 30, 40], [12, 18, 33, 37]), ([100, 0, 50], [80, 10, 60]), ([5, 5, 5, 5, 5], [1, 2, 3, 9, 10])]:
        r = np.maximum(np.array(ref) / sum(ref), 1e-4)
        c = np.maximum(np.array(cur) / sum(cur), 1e-4)
        psi.append({'reference': ref, 'current': cur, 'psi': float(np.sum((c - r) * np.log(c / r)))})
    return {'ks': ks, 'psi': psi}


if __name__ == '__main__':
    write('distributions.json', distributions())
    write('welch.json', welch())
    write('proportions.json', proportions())
    write('sequential.json', sequential())
    write('drift.json', drift())
    print('wrote', sorted(os.listdir(OUT)))
