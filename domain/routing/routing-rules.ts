import type { ErrorDetail } from '../errors';
import { weightProblems } from './traffic-split';

/** What a pool's traffic is for: the serving version, a canary, or an A/B challenger. */
export const POOL_ROLES = ['primary', 'canary', 'challenger'] as const;
export type PoolRole = (typeof POOL_ROLES)[number];

export interface RoutePool {
  versionId: string;
  version: string;
  weight: number;
  role: PoolRole;
}

/** A copy of a sampled share of requests goes to this version; its answers never reach callers. */
export interface ShadowTarget {
  versionId: string;
  version: string;
  /** 0..100, fractions allowed. */
  percentage: number;
}

/** A/B stickiness: requests carrying the same value of `header` always get the same version. */
export interface StickyRule {
  /** Lower-case HTTP header name, e.g. `x-user-id`. */
  header: string;
}

/** Opt-in prediction cache of a model's routing table. */
export interface CacheSettings {
  enabled: boolean;
  ttlSeconds: number;
  maxEntries: number;
}

/** The rules of one routing table (model, environment), without its identity and revision. */
export interface RoutingRules {
  pools: RoutePool[];
  shadow: ShadowTarget | null;
  sticky: StickyRule | null;
  cache: CacheSettings | null;
}

export const CACHE_LIMITS = { maxTtlSeconds: 86_400, maxEntries: 1_000_000 } as const;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

/**
 * Everything wrong with a set of routing rules (empty when valid), as field-level details:
 * weights (see weightProblems), a version in two pools, a shadow percentage outside 0..100,
 * a sticky header that is not a lower-case header token, cache bounds.
 *
 * Example: pools [{1.0.0, 90}, {1.0.0, 10}] → [{field: 'pools[1].version', message: 'appears in more than one pool'}].
 */
export function routingRuleProblems(rules: RoutingRules): ErrorDetail[] {
  const problems = weightProblems(rules.pools.map((p) => p.weight));
  const seen = new Set<string>();
  rules.pools.forEach((p, i) => {
    if (seen.has(p.versionId)) problems.push({ field: `pools[${i}].version`, message: 'appears in more than one pool' });
    seen.add(p.versionId);
    if (!POOL_ROLES.includes(p.role)) problems.push({ field: `pools[${i}].role`, message: `must be one of ${POOL_ROLES.join(', ')}` });
  });
  const { shadow, sticky, cache } = rules;
  if (shadow && !(Number.isFinite(shadow.percentage) && shadow.percentage >= 0 && shadow.percentage <= 100))
    problems.push({ field: 'shadow.percentage', message: 'must be from 0 to 100' });
  if (sticky && !HEADER_NAME.test(sticky.header)) problems.push({ field: 'sticky.header', message: 'must be a lower-case HTTP header name such as x-user-id' });
  if (cache) {
    if (!Number.isInteger(cache.ttlSeconds) || cache.ttlSeconds < 1 || cache.ttlSeconds > CACHE_LIMITS.maxTtlSeconds)
      problems.push({ field: 'cache.ttlSeconds', message: `must be an integer from 1 to ${CACHE_LIMITS.maxTtlSeconds}` });
    if (!Number.isInteger(cache.maxEntries) || cache.maxEntries < 1 || cache.maxEntries > CACHE_LIMITS.maxEntries)
      problems.push({ field: 'cache.maxEntries', message: `must be an integer from 1 to ${CACHE_LIMITS.maxEntries}` });
  }
  return problems;
}

/**
 * Version ids that receive traffic under these rules — pools with weight > 0 and a shadow
 * with percentage > 0 — and so must be loaded and Ready somewhere before the rules apply.
 */
export function servedVersionIds(rules: Pick<RoutingRules, 'pools' | 'shadow'>): string[] {
  const ids = rules.pools.filter((p) => p.weight > 0).map((p) => p.versionId);
  if (rules.shadow && rules.shadow.percentage > 0 && !ids.includes(rules.shadow.versionId)) ids.push(rules.shadow.versionId);
  return ids;
}
