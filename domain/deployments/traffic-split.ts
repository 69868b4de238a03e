/**
 * Traffic-split math: integer weights that always sum to 100, so what the routing table holds
 * is exactly what a status page shows.
 */

/**
 * Apportions 100 (or `total`) among shares by the largest-remainder (Hamilton) method: each gets
 * the floor of its exact quota, and the points left over go to the largest remainders (ties to
 * the earlier share). Shares must be non-negative with a positive sum.
 *
 * Worked examples:
 *   apportion([1, 1, 1])      → [34, 33, 33]   (33.33 each; one point left, to the first)
 *   apportion([2, 1])         → [67, 33]       (66.67 / 33.33)
 *   apportion([0.5, 0.5])     → [50, 50]
 *   apportion([3, 0])         → [100, 0]
 */
export function apportion(shares: readonly number[], total = 100): number[] {
  if (shares.length === 0) throw new RangeError('apportion needs at least one share');
  if (shares.some((s) => !Number.isFinite(s) || s < 0)) throw new RangeError(`shares must be finite and non-negative: ${shares.join(', ')}`);
  const sum = shares.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new RangeError('shares must not all be zero');
  const quotas = shares.map((s) => (s / sum) * total);
  const result = quotas.map((q) => Math.floor(q + 1e-9));
  let left = total - result.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, i) => ({ i, r: q - result[i] })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    result[i] += 1;
    left -= 1;
  }
  return result;
}

export interface TrafficSplit {
  stable: number;
  candidate: number;
}

/**
 * Canary split for a candidate percentage, clamped to 0..100 and rounded to an integer.
 * Example: canarySplit(25) → {stable: 75, candidate: 25}; canarySplit(120) → {stable: 0, candidate: 100}.
 */
export function canarySplit(candidatePercentage: number): TrafficSplit {
  const candidate = Math.max(0, Math.min(100, Math.round(candidatePercentage)));
  return { stable: 100 - candidate, candidate };
}

/**
 * A/B split from a ratio in (0, 1) of traffic to the candidate; each arm keeps at least 1%.
 * Example: ratioSplit(0.5) → {stable: 50, candidate: 50}; ratioSplit(1/3) → {stable: 67, candidate: 33};
 * ratioSplit(0.001) → {stable: 99, candidate: 1}.
 */
export function ratioSplit(candidateRatio: number): TrafficSplit {
  const [candidate, stable] = apportion([candidateRatio, 1 - candidateRatio]) as [number, number];
  if (candidate === 0) return { stable: 99, candidate: 1 };
  if (stable === 0) return { stable: 1, candidate: 99 };
  return { stable, candidate };
}

/**
 * Weights of version pools proportional to how many servers each serves on (rolling updates).
 * Example: serverShareSplit({v1: 3, v2: 1}) → {v1: 75, v2: 25}; {v1: 2, v2: 1} → {v1: 67, v2: 33}.
 */
export function serverShareSplit(serversPerVersion: Readonly<Record<string, number>>): Record<string, number> {
  const keys = Object.keys(serversPerVersion).filter((k) => serversPerVersion[k] > 0);
  const weights = apportion(keys.map((k) => serversPerVersion[k]));
  return Object.fromEntries(keys.map((k, i) => [k, weights[i]]));
}
