/**
 * Reads that many callers ask for at once, answered from one read while it is recent: a value
 * younger than `ttlMs` is returned as is, and concurrent misses for one key share one load. A
 * failed load is not kept. Bounded: when full, the oldest key goes.
 * Example: live metrics of a deployment that a console and a CLI both poll every second cost
 * one metric-window read per second, not one per poll.
 */
export class RecentReads<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1_000,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const value = load();
    const entry = { at: t, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}
