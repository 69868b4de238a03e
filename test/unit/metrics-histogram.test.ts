import {
  HISTOGRAM_SIZE,
  LATENCY_BOUNDS_MS,
  bucketBounds,
  emptyHistogram,
  latencyBucketIndex,
  nearestRankPercentile,
  percentileFromHistogram,
} from '../../domain/metrics';

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function histogramOf(samples: number[]): number[] {
  const h = emptyHistogram();
  for (const s of samples) h[latencyBucketIndex(s)]++;
  return h;
}

describe('latencyBucketIndex', () => {
  it.each([
    [0, 0],
    [0.05, 0],
    [0.1, 0], // bounds are inclusive upper ends
    [0.1000001, 1],
    [0.25, 1],
    [0.3, 2],
    [1, 4],
    [1.2, 5],
    [42, 14], // (30, 50]
    [50, 14],
    [999, 22],
    [1000, 22],
    [10000, 25],
    [10000.5, 26], // +Inf
    [1e9, 26],
    [-3, 0],
    [Number.NaN, 0],
  ])('%p ms → bucket %p', (ms, index) => {
    expect(latencyBucketIndex(ms)).toBe(index);
  });

  it('agrees with a linear scan for every bound and between bounds', () => {
    const linear = (ms: number) => {
      const i = LATENCY_BOUNDS_MS.findIndex((b) => ms <= b);
      return i === -1 ? LATENCY_BOUNDS_MS.length : i;
    };
    for (const b of LATENCY_BOUNDS_MS) for (const ms of [b * 0.999, b, b * 1.001]) expect(latencyBucketIndex(ms)).toBe(linear(ms));
    expect(HISTOGRAM_SIZE).toBe(27);
  });

  it('names each bucket by its bounds', () => {
    expect(bucketBounds(0)).toEqual([0, 0.1]);
    expect(bucketBounds(14)).toEqual([30, 50]);
    expect(bucketBounds(26)).toEqual([10000, Number.POSITIVE_INFINITY]);
  });
});

describe('percentileFromHistogram', () => {
  const h = (entries: Record<number, number>) => {
    const out = emptyHistogram();
    for (const [i, n] of Object.entries(entries)) out[Number(i)] = n;
    return out;
  };

  it.each([
    // [description, histogram, q, expected]
    ['empty histogram', h({}), 0.5, null],
    ['one bucket, median: halfway through (0.1, 0.25]', h({ 1: 10 }), 0.5, 0.175],
    ['one bucket, p100 is the upper bound', h({ 1: 10 }), 1, 0.25],
    ['one bucket, p0 is the lower bound', h({ 1: 10 }), 0, 0.1],
    // 100 samples: 90 in (5, 7.5], 10 in (50, 75]. p50 = 5 + 2.5 × 50/90; p95 = 50 + 25 × 5/10; p99 = 50 + 25 × 9/10.
    ['two buckets, p50', h({ 9: 90, 15: 10 }), 0.5, 5 + (2.5 * 50) / 90],
    ['two buckets, p90 (last sample of the first bucket)', h({ 9: 90, 15: 10 }), 0.9, 7.5],
    ['two buckets, p95', h({ 9: 90, 15: 10 }), 0.95, 62.5],
    ['two buckets, p99', h({ 9: 90, 15: 10 }), 0.99, 72.5],
    ['+Inf bucket without max reports its lower bound', h({ 26: 4 }), 0.5, 10000],
  ])('%s', (_name, hist, q, expected) => {
    const v = percentileFromHistogram(hist, q);
    if (expected === null) expect(v).toBeNull();
    else expect(v).toBeCloseTo(expected, 9);
  });

  it('clamps to the observed min and max', () => {
    // All 10 samples in (30, 50], observed between 40 and 44.
    expect(percentileFromHistogram(h({ 14: 10 }), 0, { min: 40, max: 44 })).toBe(40);
    expect(percentileFromHistogram(h({ 14: 10 }), 0.5, { min: 40, max: 44 })).toBeCloseTo(42, 9);
    expect(percentileFromHistogram(h({ 14: 10 }), 1, { min: 40, max: 44 })).toBe(44);
    // The +Inf bucket is bounded by the max.
    expect(percentileFromHistogram(h({ 26: 2 }), 1, { max: 12000 })).toBe(12000);
  });

  it('rejects a quantile outside [0, 1]', () => {
    expect(() => percentileFromHistogram(h({ 1: 1 }), 1.5)).toThrow(RangeError);
  });

  it('always lands in the bucket of the exact nearest-rank percentile (documented resolution)', () => {
    const random = rng(20250115);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random() * 400);
      // Log-uniform latencies from 0.05 ms to 20 s, some repeated values.
      const samples = Array.from({ length: n }, () => (random() < 0.1 ? 3 : Math.exp(Math.log(0.05) + random() * (Math.log(20000) - Math.log(0.05)))));
      const hist = histogramOf(samples);
      const min = Math.min(...samples);
      const max = Math.max(...samples);
      for (const q of [0.5, 0.9, 0.95, 0.99, 1]) {
        const exact = nearestRankPercentile(samples, q)!;
        const estimate = percentileFromHistogram(hist, q, { min, max })!;
        const [lower, upper] = bucketBounds(latencyBucketIndex(exact));
        expect(estimate).toBeGreaterThanOrEqual(Math.max(lower, min) - 1e-12);
        expect(estimate).toBeLessThanOrEqual(Math.min(upper, max) + 1e-12);
      }
    }
  });
});

describe('nearestRankPercentile', () => {
  it.each([
    [[], 0.5, null],
    [[7], 0.99, 7],
    [[1, 2, 3, 4], 0.5, 2],
    [[1, 2, 3, 4], 0.51, 3],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 95],
    [Array.from({ length: 100 }, (_, i) => 100 - i), 0.99, 99],
  ])('case %#', (samples, q, expected) => {
    expect(nearestRankPercentile(samples, q)).toBe(expected);
  });
});
