/**
 * Fixed-bucket latency histograms. Every process uses the same bounds, so histograms from
 * several gateways (and several time buckets) add up by summing counts bucket by bucket.
 *
 * Bucket i holds latencies in (LATENCY_BOUNDS_MS[i-1], LATENCY_BOUNDS_MS[i]] milliseconds
 * (bucket 0 starts at 0); the last bucket holds everything above the last bound (+Inf).
 *
 * Resolution of percentiles: `percentileFromHistogram` returns a value inside the bucket that
 * holds the exact (nearest-rank) percentile, interpolated linearly by rank within that bucket
 * and clamped to the observed [min, max]. The error is therefore at most the width of that
 * bucket: neighbouring bounds differ by a factor of at most 2.5 (0.1 → 0.25 ms), 1.5–2 from
 * 0.25 ms to 10 s. Example: a true p99 of 42 ms is reported somewhere in (30, 50] ms.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
]);

/** Number of histogram buckets: one per bound plus the +Inf bucket. */
export const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

/** Index of the bucket that holds `ms` (binary search; NaN and negatives go to bucket 0). */
export function latencyBucketIndex(ms: number): number {
  if (!(ms > LATENCY_BOUNDS_MS[0])) return 0;
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length; // answer in [lo, hi]; hi = +Inf bucket
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** [lower, upper] bounds of bucket i in ms; the +Inf bucket's upper bound is Infinity. */
export function bucketBounds(i: number): [number, number] {
  const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
  const upper = i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i] : Number.POSITIVE_INFINITY;
  return [lower, upper];
}

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_SIZE).fill(0);
}

/** Adds `from` into `into` bucket by bucket (both of HISTOGRAM_SIZE). */
export function addHistogram(into: number[], from: readonly number[]): void {
  for (let i = 0; i < HISTOGRAM_SIZE; i++) into[i] += from[i] ?? 0;
}

export interface ObservedRange {
  /** Smallest latency observed, when known: tightens the first occupied bucket. */
  min?: number | null;
  /** Largest latency observed, when known: bounds the +Inf bucket. */
  max?: number | null;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of a fixed-bucket histogram, or null when it is empty.
 *
 * The bucket is the one holding the nearest-rank sample (the ⌈q·n⌉-th smallest); within it the
 * value is interpolated linearly between its bounds by how far q·n reaches into its count.
 * Bounds are clamped to the observed min/max when given; the +Inf bucket without a max
 * reports its lower bound. Example: counts [0, 10] over bounds (0, 0.1], (0.1, 0.25] and
 * q = 0.5 → 0.1 + 0.15 × 5/10 = 0.175.
 */
export function percentileFromHistogram(counts: readonly number[], q: number, range: ObservedRange = {}): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = q * total;
  // The nearest-rank sample; the tolerance keeps 0.95 × 100 = 95.00000000000001 at rank 95.
  const k = Math.max(1, Math.ceil(rank - 1e-9));
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c <= 0) continue;
    if (cumulative + c >= k) {
      let [lower, upper] = bucketBounds(i);
      if (range.min !== undefined && range.min !== null && range.min > lower) lower = Math.min(range.min, upper);
      if (range.max !== undefined && range.max !== null && range.max < upper) upper = Math.max(range.max, lower);
      if (!Number.isFinite(upper)) return lower;
      const fraction = Math.min(1, Math.max(0, (rank - cumulative) / c));
      return lower + (upper - lower) * fraction;
    }
    cumulative += c;
  }
  // Only reachable through rounding: the last occupied bucket's upper end.
  return range.max ?? LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

/** The exact nearest-rank q-quantile of raw samples (reference for tests and small windows). */
export function nearestRankPercentile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const k = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
  return sorted[Math.min(k, sorted.length) - 1];
}
