import type { ErrorDetail } from '../errors';
import { fnv1a32 } from './fnv1a';

/**
 * Traffic-split math. A routing table splits a model's traffic over version pools with
 * integer weights (percent) that sum to exactly 100. A request lands in one of 100 buckets —
 * chosen at random, or by hashing a sticky key — and the bucket picks the pool whose
 * cumulative weight range contains it.
 */
export const TOTAL_WEIGHT = 100;

/**
 * Problems with a list of pool weights (empty when valid): each weight an integer in
 * 0..100, at least one pool, total exactly 100. Field names are `${field}[i].weight`.
 *
 * Examples: [90, 10] → []; [50, 49] → total 99; [33.3, 66.7] → not integers; [] → no pools.
 */
export function weightProblems(weights: readonly number[], field = 'pools'): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (weights.length === 0) return [{ field, message: 'needs at least one pool' }];
  let total = 0;
  weights.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 0 || w > TOTAL_WEIGHT) problems.push({ field: `${field}[${i}].weight`, message: `must be an integer from 0 to ${TOTAL_WEIGHT}` });
    else total += w;
  });
  if (problems.length === 0 && total !== TOTAL_WEIGHT) problems.push({ field, message: `weights must sum to ${TOTAL_WEIGHT} (they sum to ${total})` });
  return problems;
}

/**
 * Running totals of the weights: the upper bound (exclusive) of each pool's bucket range.
 * Example: cumulativeWeights([90, 0, 10]) → [90, 90, 100] (the zero-weight pool's range is empty).
 */
export function cumulativeWeights(weights: readonly number[]): number[] {
  const out = new Array<number>(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i];
  return out;
}

/**
 * The pool index owning `bucket` (0..99): the first pool whose cumulative weight exceeds it.
 * Example with cumulative [90, 100]: buckets 0..89 → 0, 90..99 → 1.
 * A bucket beyond the total (weights not summing to 100) falls to the last non-empty pool.
 */
export function poolForBucket(cumulative: readonly number[], bucket: number): number {
  for (let i = 0; i < cumulative.length; i++) if (bucket < cumulative[i]) return i;
  for (let i = cumulative.length - 1; i > 0; i--) if (cumulative[i] > cumulative[i - 1]) return i;
  return 0;
}

/**
 * The bucket of a uniform random draw `u` in [0, 1). The caller supplies the draw (Math.random
 * on the gateway, fixed values in tests), so this stays a pure function.
 * Example: randomBucket(0.905) === 90.
 */
export function randomBucket(u: number): number {
  const b = Math.floor(u * TOTAL_WEIGHT);
  return b < 0 ? 0 : b >= TOTAL_WEIGHT ? TOTAL_WEIGHT - 1 : b;
}

/**
 * The bucket of a sticky key: FNV-1a of the key modulo 100. The same key always lands in the
 * same bucket, so it keeps getting the same version for as long as the weights (and the order
 * of the pools) stay the same; when weights change, only keys in buckets that changed owner move.
 * Example: stickyBucket('foobar') === 0xbf9cf968 % 100 === 20.
 */
export function stickyBucket(key: string): number {
  return fnv1a32(key) % TOTAL_WEIGHT;
}

/**
 * Whether a request is mirrored to the shadow target: a draw `u` in [0, 1) under `percentage`
 * (0..100, fractions allowed). Example: shouldMirror(10, 0.05) === true; shouldMirror(10, 0.1) === false.
 */
export function shouldMirror(percentage: number, u: number): boolean {
  return u * 100 < percentage;
}

/**
 * Integer weights summing to 100 in proportion to `shares` (largest-remainder method; ties go
 * to the earlier pool), for strategies that think in ratios.
 * Examples: apportion([1, 1, 1]) → [34, 33, 33]; apportion([3, 1]) → [75, 25]; apportion([1, 0]) → [100, 0].
 */
export function apportion(shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + Math.max(0, b), 0);
  if (shares.length === 0 || total <= 0) throw new RangeError('apportion needs at least one positive share');
  const exact = shares.map((s) => (Math.max(0, s) / total) * TOTAL_WEIGHT);
  const out = exact.map(Math.floor);
  let left = TOTAL_WEIGHT - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k].i]++;
  return out;
}
