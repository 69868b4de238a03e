/**
 * Where a version runs: servers belong to pools, environments map to pools, and a version is
 * placed on `replicas` servers of its environment's pool (0 = every server of the pool).
 * No I/O: the inputs are what the server registry and the configuration say.
 */
import { fnv1a32 } from '../routing/fnv1a';
import { ENVIRONMENTS, type Environment } from '../routing/environments';

export const DEFAULT_POOL = 'default';

/** How one environment is served: its pool and the replica count of each version (0 = all). */
export interface EnvironmentPlacement {
  pool: string;
  replicas: number;
}

export type PlacementMap = Readonly<Record<Environment, EnvironmentPlacement>>;

export const DEFAULT_PLACEMENT: PlacementMap = Object.freeze(
  Object.fromEntries(ENVIRONMENTS.map((e) => [e, { pool: DEFAULT_POOL, replicas: 0 }])) as Record<Environment, EnvironmentPlacement>,
);

const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const isPoolName = (s: string): boolean => POOL_NAME.test(s);

/**
 * Parses SERVING_PLACEMENT: comma-separated `Environment=pool[:replicas]`; environments not named
 * keep the default pool with every server. Returns the map, or the problems found.
 * Example: "Production=prod:2,Staging=default" → Production on 2 servers of pool prod, Staging
 * and Development on every server of pool default.
 */
export function parsePlacement(text: string): { placement: PlacementMap } | { problems: string[] } {
  const out: Record<string, EnvironmentPlacement> = { ...DEFAULT_PLACEMENT };
  const problems: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)=([^:]+)(?::(\d+))?$/.exec(raw);
    const env = m ? ENVIRONMENTS.find((e) => e.toLowerCase() === m[1].toLowerCase()) : undefined;
    if (!m) problems.push(`"${raw}" is not Environment=pool[:replicas]`);
    else if (!env) problems.push(`"${m[1]}" is not an environment (${ENVIRONMENTS.join(', ')})`);
    else if (!isPoolName(m[2])) problems.push(`pool "${m[2]}" must be lowercase letters, digits and dashes`);
    else out[env] = { pool: m[2], replicas: m[3] === undefined ? 0 : Number(m[3]) };
  }
  return problems.length > 0 ? { problems } : { placement: Object.freeze(out as Record<Environment, EnvironmentPlacement>) };
}

/**
 * The servers a version is placed on: rendezvous (highest-random-weight) hashing of
 * (versionId, server) over the pool's servers, so every process computes the same answer from
 * the same server list, and a server joining or leaving moves only the versions it wins or
 * loses. `replicas` 0 or at least the pool's size = every server.
 * Example: placeVersion('v1', ['a', 'b', 'c'], 0) → ['a', 'b', 'c'].
 */
export function placeVersion(versionId: string, poolServers: readonly string[], replicas: number): string[] {
  const sorted = [...new Set(poolServers)].sort();
  if (replicas <= 0 || replicas >= sorted.length) return sorted;
  return sorted
    .map((s) => ({ s, w: fnv1a32(`${versionId}|${s}`) }))
    .sort((a, b) => b.w - a.w || (a.s < b.s ? -1 : 1))
    .slice(0, replicas)
    .map((x) => x.s)
    .sort();
}
