import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  backgroundIndices,
  explainableVersion,
  explainedValue,
  explanationRows,
  planCoalitions,
  planExplanation,
  seededRandom,
  shapleyKernelWeight,
} from '../../domain/explanations';

type Row = Record<string, number>;
const names = (m: number) => Array.from({ length: m }, (_, i) => `f${i}`);

/** Runs an explanation of `f` against a JS model, as the gateway does against the model server. */
function explain(f: (r: Row) => number, features: string[], x: Row, background: Row[], maxCoalitions = 512) {
  const job = planExplanation({ features, x, background, maxCoalitions, seed: 7 });
  return job.finish(job.rows.map((r) => f(r as Row)), 'value');
}

/** Exact interventional Shapley values by the definition: Σ over subsets S ∌ i of |S|!(m−|S|−1)!/m! · (v(S∪i) − v(S)). */
function bruteForceShapley(f: (r: Row) => number, features: string[], x: Row, background: Row[]): number[] {
  const m = features.length;
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const v = (bits: number) => {
    let s = 0;
    for (const b of background) {
      const row: Row = { ...b };
      features.forEach((name, i) => {
        if (bits & (1 << i)) row[name] = x[name];
      });
      s += f(row);
    }
    return s / background.length;
  };
  return features.map((_, i) => {
    let phi = 0;
    for (let s = 0; s < 2 ** m; s++) {
      if (s & (1 << i)) continue;
      const size = [...s.toString(2)].filter((c) => c === '1').length;
      phi += ((fact(size) * fact(m - size - 1)) / fact(m)) * (v(s | (1 << i)) - v(s));
    }
    return phi;
  });
}

function backgroundOf(n: number, m: number, seed: number): Row[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Object.fromEntries(names(m).map((k) => [k, Math.round(r() * 100) / 10])));
}

describe('KernelSHAP on a linear model: φᵢ = wᵢ(xᵢ − E[bᵢ])', () => {
  it.each([
    ['the worked example (2 features)', [2, 3], { f0: 1, f1: 1 }, [{ f0: 0, f1: 0 }, { f0: 2, f1: 0 }], 512],
    ['5 features, exact', [1.5, -2, 0.25, 4, -0.5], null, null, 512],
    ['12 features, sampled (an additive game is fitted exactly by any full-rank sample)', [1, -1, 2, -2, 3, -3, 0.5, -0.5, 1.5, 0, 2.5, -4], null, null, 300],
  ])('%s', (_name, w, givenX, givenBg, maxCoalitions) => {
    const features = names(w.length);
    const x: Row = (givenX as Row | null) ?? backgroundOf(1, w.length, 99)[0];
    const background = (givenBg as Row[] | null) ?? backgroundOf(20, w.length, 3);
    const f = (r: Row) => 0.7 + features.reduce((s, k, i) => s + w[i] * r[k], 0);
    const e = explain(f, features, x, background, maxCoalitions);
    expect(e.exact).toBe(2 ** w.length - 2 <= maxCoalitions);
    features.forEach((k, i) => {
      const mean = background.reduce((s, b) => s + b[k], 0) / background.length;
      expect(e.attributions[k]).toBeCloseTo(w[i] * (x[k] - mean), 9);
    });
    expect(e.value).toBeCloseTo(f(x), 12);
    expect(e.baseValue).toBeCloseTo(background.reduce((s, b) => s + f(b), 0) / background.length, 12);
  });

  it('gives the worked example of the doc comment', () => {
    const e = explain((r) => 2 * r.f0 + 3 * r.f1, ['f0', 'f1'], { f0: 1, f1: 1 }, [{ f0: 0, f1: 0 }, { f0: 2, f1: 0 }]);
    expect(e).toMatchObject({ baseValue: 2, value: 5, samples: 2, background: 2, modelRows: 1 + 3 * 2 });
    expect(e.attributions.f0).toBeCloseTo(0, 12);
    expect(e.attributions.f1).toBeCloseTo(3, 12);
  });
});

describe('KernelSHAP on non-linear models', () => {
  const nonLinear = (r: Row) => r.f0 * r.f1 + Math.max(r.f2, 3) - 0.5 * r.f3 * r.f3 + 1 / (1 + Math.exp(-r.f4 + r.f0));

  it('splits a pure interaction evenly: f = x₀·x₁, x = (1, 1), background (0, 0) → 0.5 each', () => {
    const e = explain((r) => r.f0 * r.f1, ['f0', 'f1'], { f0: 1, f1: 1 }, [{ f0: 0, f1: 0 }]);
    expect(e.attributions.f0).toBeCloseTo(0.5, 12);
    expect(e.attributions.f1).toBeCloseTo(0.5, 12);
  });

  it('equals the Shapley values by definition when every coalition is enumerated', () => {
    const features = names(5);
    const x = backgroundOf(1, 5, 42)[0];
    const background = backgroundOf(15, 5, 8);
    const e = explain(nonLinear, features, x, background);
    const expected = bruteForceShapley(nonLinear, features, x, background);
    expect(e.exact).toBe(true);
    features.forEach((k, i) => expect(e.attributions[k]).toBeCloseTo(expected[i], 9));
  });

  it('estimates them when sampled, and the attributions still add up to f(x) − E[f] exactly', () => {
    const m = 10;
    const features = names(m);
    const f = (r: Row) => nonLinear(r) + r.f5 * r.f6 - r.f7 + Math.sin(r.f8) * r.f9;
    const x = backgroundOf(1, m, 5)[0];
    const background = backgroundOf(10, m, 6);
    const e = explain(f, features, x, background, 400);
    const expected = bruteForceShapley(f, features, x, background);
    expect(e.exact).toBe(false);
    const sum = Object.values(e.attributions).reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(e.value - e.baseValue, 9);
    const scale = Math.max(...expected.map(Math.abs));
    features.forEach((k, i) => expect(Math.abs(e.attributions[k] - expected[i])).toBeLessThan(0.1 * scale));
  });

  it('gives the same answer for the same request (seeded sampling)', () => {
    const features = names(12);
    const x = backgroundOf(1, 12, 1)[0];
    const bg = backgroundOf(5, 12, 2);
    const f = (r: Row) => r.f0 * r.f11 + r.f3;
    expect(explain(f, features, x, bg, 100)).toEqual(explain(f, features, x, bg, 100));
  });

  it('gives a single feature the whole gap', () => {
    const e = explain((r) => r.f0 ** 2, ['f0'], { f0: 3 }, [{ f0: 1 }, { f0: 2 }]);
    expect(e.attributions.f0).toBeCloseTo(9 - 2.5, 12);
    expect(e.modelRows).toBe(3);
  });
});

describe('planCoalitions', () => {
  it('enumerates the 2^m − 2 coalitions with Shapley kernel weights when they fit', () => {
    const p = planCoalitions(3, 6, () => 0);
    expect(p.exact).toBe(true);
    expect(p.coalitions).toHaveLength(6);
    expect(p.weights).toEqual(Array(6).fill(1 / 3));
    expect(shapleyKernelWeight(4, 1)).toBeCloseTo(3 / (4 * 1 * 3), 12);
    expect(shapleyKernelWeight(4, 2)).toBeCloseTo(3 / (6 * 2 * 2), 12);
  });

  it('samples at most maxCoalitions, in complementary pairs, when they do not fit', () => {
    const p = planCoalitions(20, 64, seededRandom(1));
    expect(p.exact).toBe(false);
    expect(p.coalitions.length).toBeLessThanOrEqual(64);
    expect(p.weights.reduce((a, b) => a + b, 0)).toBe(64);
    const keys = new Set(p.coalitions.map((z) => z.map(Number).join('')));
    for (const z of p.coalitions) {
      expect(z.some(Boolean) && !z.every(Boolean)).toBe(true);
      expect(keys.has(z.map((b) => (b ? 0 : 1)).join(''))).toBe(true);
    }
  });
});

describe('explanationRows, backgroundIndices', () => {
  it('takes coalition features from x and the rest from the background; a feature x omits stays omitted', () => {
    const rows = explanationRows(['a', 'b', 'c'], { a: 1, b: 2 }, [{ a: 0, b: 0, c: 0 }], { coalitions: [[true, false, true]], weights: [1], exact: false });
    expect(rows).toEqual([{ a: 1, b: 2 }, { a: 0, b: 0, c: 0 }, { a: 1, b: 0 }]);
  });

  it.each([
    [10, 4, [0, 2, 5, 7]],
    [3, 50, [0, 1, 2]],
    [0, 5, []],
  ])('picks %i rows evenly: want %i', (available, want, expected) => {
    expect(backgroundIndices(available, want)).toEqual(expected);
  });
});

describe('explainableVersion, explainedValue', () => {
  const meta = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../examples/models', name, '1.0.0/metadata.json'), 'utf8'));

  it('takes the fraud example (tabular) with its features in tensor order', () => {
    const m = meta('fraud-detection');
    expect(explainableVersion(m.inputSchema, m.outputSchema)).toEqual({
      features: ['transaction_amount', 'merchant_category', 'user_age_days', 'transaction_hour', 'is_international'],
      task: 'classification',
    });
  });

  it.each([
    ['a string-encoded model (sentiment)', meta('sentiment').inputSchema, meta('sentiment').outputSchema, /not tabular/],
    ['an OIP-only version', null, null, /no feature schema/],
    ['a broken schema', { type: 'object' }, meta('fraud-detection').outputSchema, /unusable feature schema/],
  ])('refuses %s with the reason', (_name, input, output, reason) => {
    const r = explainableVersion(input, output);
    expect('problem' in r && r.problem).toMatch(reason);
  });

  it.each([
    [{ label: 'fraud', probabilities: { legit: 0.3, fraud: 0.7 } }, 'classification', 'fraud', 0.7],
    [{ label: 'fraud', probabilities: { legit: 0.3, fraud: 0.7 } }, 'classification', 'legit', 0.3],
    [{ value: 12.5 }, 'regression', undefined, 12.5],
  ] as const)('reads the explained number of %j', (p, task, cls, expected) => {
    expect(explainedValue(p, task, cls)).toBe(expected);
  });

  it('throws on a prediction without the number', () => {
    expect(() => explainedValue({ label: 'x' }, 'classification', 'fraud')).toThrow(RangeError);
  });
});
