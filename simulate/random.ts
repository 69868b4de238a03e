/**
 * Seeded random draws for the simulator, over pure-rand's xoroshiro128+ generator (same seed,
 * same run). Counts are drawn exactly when small and by the normal approximation when large,
 * which keeps a thousand rollouts per scenario within seconds.
 */
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';
import { LATENCY_BOUNDS_MS, HISTOGRAM_SIZE } from '../domain/metrics/histogram';
import { normalCdf } from '../domain/statistics/distributions';

export class Random {
  private readonly gen: RandomGenerator;
  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const hi = this.gen.unsafeNext() >>> 0;
    const lo = this.gen.unsafeNext() >>> 11;
    return (hi * 2 ** 21 + lo) / 2 ** 53;
  }

  normal(): number {
    // Box–Muller; 1 − u keeps the logarithm finite.
    return Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 40) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniform();
    while (p > limit) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    const mean = n * p;
    if (mean > 30) return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * this.normal())));
    // Inversion: walk the CDF from 0 (about n·p steps).
    const q = 1 - p;
    let pk = q ** n;
    let cdf = pk;
    const u = this.uniform();
    let k = 0;
    while (u > cdf && k < n) {
      pk *= ((n - k) / (k + 1)) * (p / q);
      k++;
      cdf += pk;
    }
    return k;
  }

  /** n draws into buckets with probabilities `probs` (summing to 1), by conditional binomials. */
  multinomial(n: number, probs: readonly number[]): number[] {
    const out = new Array<number>(probs.length).fill(0);
    let left = n;
    let mass = 1;
    for (let i = 0; i < probs.length && left > 0; i++) {
      const k = i === probs.length - 1 ? left : this.binomial(left, Math.min(1, probs[i] / Math.max(mass, 1e-12)));
      out[i] = k;
      left -= k;
      mass -= probs[i];
    }
    return out;
  }
}

/** Bucket probabilities of a log-normal latency (median `medianMs`, log-sd `sigma`) on the gateways' histogram bounds. */
export function logNormalBuckets(medianMs: number, sigma: number): number[] {
  const cdf = (x: number) => normalCdf((Math.log(x) - Math.log(medianMs)) / sigma);
  const probs = new Array<number>(HISTOGRAM_SIZE).fill(0);
  let previous = 0;
  LATENCY_BOUNDS_MS.forEach((b, i) => {
    const c = cdf(b);
    probs[i] = c - previous;
    previous = c;
  });
  probs[HISTOGRAM_SIZE - 1] = 1 - previous;
  return probs;
}
