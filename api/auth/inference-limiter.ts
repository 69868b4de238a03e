import type { Principal } from '../../domain/permissions';
import { exceeded } from './rate-limits';

/** Limits count per minute, in a window that starts at the caller's first request. */
const WINDOW_MS = 60_000;

interface Window {
  resetAt: number;
  used: number;
}

export interface InferenceDefaults {
  /** Users (password and OIDC logins): RATE_LIMIT_INFERENCE_PER_MIN. */
  user: number;
  /** API keys without a limit of their own: RATE_LIMIT_API_KEY_INFERENCE_PER_MIN. */
  apiKey: number;
}

/**
 * The inference rate limit, per caller: an API key's own limit (set at creation, changed by an
 * Admin), else the default for its kind. It is kept in this api process's memory, so it holds
 * per replica: behind N api replicas a caller gets up to N× its limit. A shared counter would
 * cost one database write per inference (measured on FerretDB: ~4 ms sequential, ~170 writes/s
 * in parallel), far below the data plane's 1,000+ req/s.
 *
 * On the hot path: synchronous, one Map look-up by principal id, no allocation except a
 * caller's first window. A refused request does not count. Windows that ended are swept once a
 * minute.
 *
 * Example: limit 3. Requests at 0 s, 1 s, 2 s pass; one at 10 s gets 429 with Retry-After 50;
 * at 60 s a new window starts.
 */
export class InferenceLimiter {
  private readonly windows = new Map<string, Window>();
  private sweepAt: number;

  constructor(
    private readonly defaults: InferenceDefaults,
    private readonly now: () => number = Date.now,
  ) {
    this.sweepAt = now() + WINDOW_MS;
  }

  limitOf(principal: Principal): number {
    return principal.inferenceRateLimitPerMin ?? (principal.via === 'api-key' ? this.defaults.apiKey : this.defaults.user);
  }

  /** Counts one inference of `principal`; throws RATE_LIMIT_EXCEEDED (429, Retry-After) when over its limit. */
  spend(principal: Principal): void {
    const now = this.now();
    if (now >= this.sweepAt) this.sweep(now);
    let w = this.windows.get(principal.id);
    if (w === undefined) {
      w = { resetAt: now + WINDOW_MS, used: 0 };
      this.windows.set(principal.id, w);
    } else if (now >= w.resetAt) {
      w.resetAt = now + WINDOW_MS;
      w.used = 0;
    }
    const limit = this.limitOf(principal);
    if (w.used >= limit) throw exceeded('inference', limit, w.resetAt - now);
    w.used++;
  }

  private sweep(now: number): void {
    for (const [id, w] of this.windows) if (w.resetAt <= now) this.windows.delete(id);
    this.sweepAt = now + WINDOW_MS;
  }
}
