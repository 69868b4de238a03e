import type { CacheSettings } from '../../domain/routing/routing-rules';

/**
 * The opt-in prediction cache of one routing table: an LRU of at most `maxEntries` answers,
 * each valid for `ttlSeconds`. Keys are `${versionId}\n${canonical JSON of the features}`, so a
 * change of version never serves another version's answer. Per process, in memory.
 */
export class PredictionCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly ttlMs: number;

  constructor(readonly settings: CacheSettings) {
    this.ttlMs = settings.ttlSeconds * 1000;
  }

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert: Map order is recency order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.settings.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }

  /** Same settings → the cache survives a routing change (its keys carry the version id). */
  sameSettings(s: CacheSettings): boolean {
    return s.enabled === this.settings.enabled && s.ttlSeconds === this.settings.ttlSeconds && s.maxEntries === this.settings.maxEntries;
  }
}
