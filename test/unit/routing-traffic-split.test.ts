import {
  apportion,
  cumulativeWeights,
  poolForBucket,
  randomBucket,
  shouldMirror,
  stickyBucket,
  weightProblems,
} from '../../domain/routing/traffic-split';
import { fnv1a32 } from '../../domain/routing/fnv1a';

describe('weightProblems', () => {
  it.each<[string, number[], string[]]>([
    ['one pool at 100', [100], []],
    ['90/10', [90, 10], []],
    ['a zero-weight pool (kept warm)', [100, 0], []],
    ['three-way', [34, 33, 33], []],
    ['no pools', [], ['pools']],
    ['sum below 100', [50, 49], ['pools']],
    ['sum above 100', [60, 50], ['pools']],
    ['fraction', [33.5, 66.5], ['pools[0].weight', 'pools[1].weight']],
    ['negative', [110, -10], ['pools[0].weight', 'pools[1].weight']],
    ['NaN', [Number.NaN, 100], ['pools[0].weight']],
  ])('%s', (_name, weights, fields) => {
    expect(weightProblems(weights).map((p) => p.field)).toEqual(fields);
  });

  it('names the total when it is wrong', () => {
    expect(weightProblems([50, 49])[0].message).toBe('weights must sum to 100 (they sum to 99)');
  });
});

describe('cumulativeWeights and poolForBucket', () => {
  it.each<[number[], number[]]>([
    [[100], [100]],
    [[90, 10], [90, 100]],
    [[90, 0, 10], [90, 90, 100]],
    [[0, 100], [0, 100]],
  ])('cumulativeWeights(%j) = %j', (w, c) => expect(cumulativeWeights(w)).toEqual(c));

  it.each<[number[], number, number]>([
    [[90, 10], 0, 0],
    [[90, 10], 89, 0],
    [[90, 10], 90, 1],
    [[90, 10], 99, 1],
    [[90, 0, 10], 90, 2], // the empty range of the zero-weight pool is skipped
    [[0, 100], 0, 1],
    [[50, 50], 49, 0],
    [[50, 50], 50, 1],
    [[90, 10], 150, 1], // out-of-range bucket → last non-empty pool
    [[90, 10, 0], 150, 1],
  ])('weights %j, bucket %i → pool %i', (w, bucket, pool) => expect(poolForBucket(cumulativeWeights(w), bucket)).toBe(pool));

  it('every bucket of 0..99 lands in a pool in proportion to the weights', () => {
    for (const weights of [[90, 10], [34, 33, 33], [1, 98, 1], [100, 0], [25, 25, 25, 25]]) {
      const counts = weights.map(() => 0);
      const cum = cumulativeWeights(weights);
      for (let b = 0; b < 100; b++) counts[poolForBucket(cum, b)]++;
      expect(counts).toEqual(weights);
    }
  });
});

describe('randomBucket', () => {
  it.each<[number, number]>([
    [0, 0],
    [0.0099, 0],
    [0.01, 1],
    [0.905, 90],
    [0.999999, 99],
    [1, 99], // clamped
    [-0.1, 0],
  ])('u=%d → bucket %i', (u, b) => expect(randomBucket(u)).toBe(b));
});

describe('shouldMirror', () => {
  it.each<[number, number, boolean]>([
    [10, 0.05, true],
    [10, 0.0999, true],
    [10, 0.1, false],
    [0, 0, false],
    [100, 0.9999, true],
    [0.5, 0.004, true],
    [0.5, 0.006, false],
  ])('%d%% with draw %d → %s', (pct, u, mirrored) => expect(shouldMirror(pct, u)).toBe(mirrored));
});

describe('apportion', () => {
  it.each<[number[], number[]]>([
    [[1, 1, 1], [34, 33, 33]],
    [[3, 1], [75, 25]],
    [[1, 0], [100, 0]],
    [[2, 1], [67, 33]],
    [[1, 1, 1, 1, 1, 1], [17, 17, 17, 17, 16, 16]],
    [[0.1, 0.9], [10, 90]],
  ])('apportion(%j) = %j', (shares, weights) => {
    expect(apportion(shares)).toEqual(weights);
    expect(weightProblems(apportion(shares))).toEqual([]);
  });

  it('refuses no positive share', () => {
    expect(() => apportion([0, 0])).toThrow(RangeError);
    expect(() => apportion([])).toThrow(RangeError);
  });
});

describe('fnv1a32', () => {
  // Reference vectors from the FNV specification's test suite.
  it.each<[string, number]>([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['b', 0xe70c2de5],
    ['foobar', 0xbf9cf968],
  ])('fnv1a32(%j) = %i', (s, h) => expect(fnv1a32(s)).toBe(h));

  /** Independent reference: FNV-1a over Node's own UTF-8 encoding. */
  const reference = (s: string) => {
    let h = 0x811c9dc5;
    for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h >>> 0;
  };

  it.each(['user-42', 'Zoë', '日本語', 'emoji 😀 key', 'mixed ß€𝄞', '\ud800 lone surrogate'])('hashes the UTF-8 bytes of %j', (s) => {
    expect(fnv1a32(s)).toBe(reference(s));
  });
});

describe('stickyBucket', () => {
  it('is FNV-1a of the key modulo 100 (worked example)', () => {
    expect(stickyBucket('foobar')).toBe(0xbf9cf968 % 100);
    expect(stickyBucket('foobar')).toBe(20);
  });

  it('spreads keys evenly over the 100 buckets (chi-square, 99 d.f., p > 0.001)', () => {
    const counts = new Array<number>(100).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[stickyBucket(`user-${i}`)]++;
    const expected = n / 100;
    const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(148.2); // chi-square 99 d.f., upper 0.001 quantile
  });
});
