/**
 * Desired state of one model server, the way a Kubernetes controller computes it: from what is
 * stored (routing tables, running deployments, their holds), never from what the server happens
 * to hold. Pure: the model server's reconciler reads the inputs and acts on the answer.
 */
import type { Environment } from '../routing/environments';
import { placeVersion, type PlacementMap } from './placement';

/** A routing table, reduced to what placement needs. */
export interface RoutedTable {
  modelId: string;
  modelName: string;
  environment: Environment;
  pools: readonly { versionId: string; version?: string; weight: number }[];
  shadow?: { versionId: string; version?: string; percentage: number } | null;
}

/** A deployment whose workflow has not finished: its versions are kept while it runs. */
export interface RunningDeployment {
  deploymentId: string;
  modelId: string;
  modelName: string;
  environment: Environment;
  candidateVersionId: string;
  /** The version it replaces, kept warm while the deployment runs (bake window included). */
  stableVersionId: string | null;
}

/**
 * A statement about one server by whoever manages a version for a while: `keep` = it loaded the
 * version there (a deployment's warm-up, a manual routing change loading first), `exclude` = it
 * unloaded it there on purpose (a rolling update's batch). `server` '*' = every server of the pool.
 */
export interface ServingHold {
  /** A deploymentId (honoured while the deployment runs), or `routing:<model>:<environment>` (honoured until it expires). */
  holder: string;
  modelId: string;
  modelName: string;
  /** Where the holder serves it; needed only for `server` '*' (to find the pool). */
  environment?: Environment;
  versionId: string;
  server: string;
  kind: 'keep' | 'exclude';
}

export interface PoolServer {
  id: string;
  pool: string;
}

export interface DesiredStateInput {
  /** The server being reconciled. */
  server: PoolServer;
  /** Live, non-draining servers (the server itself is added when missing). */
  servers: readonly PoolServer[];
  tables: readonly RoutedTable[];
  running: readonly RunningDeployment[];
  /** Holds in force only (the caller drops those of finished deployments and expired ones). */
  holds: readonly ServingHold[];
  placement: PlacementMap;
}

export interface DesiredVersion {
  versionId: string;
  modelId: string;
  modelName: string;
  /** Why it is wanted here, for logs and /health: "routed in Production", "kept warm by deployment d1", ... */
  reasons: string[];
}

export interface DesiredState {
  /** Versions this server should hold Ready. */
  load: Map<string, DesiredVersion>;
  /** Versions this server must not unload even if not wanted (a running deployment manages them). */
  protect: Set<string>;
}

/** The versions a table sends traffic to (pools above 0 %, a shadow above 0 %). */
export function versionsWithTraffic(t: Pick<RoutedTable, 'pools' | 'shadow'>): string[] {
  const ids = t.pools.filter((p) => p.weight > 0).map((p) => p.versionId);
  if (t.shadow && t.shadow.percentage > 0 && !ids.includes(t.shadow.versionId)) ids.push(t.shadow.versionId);
  return ids;
}

/**
 * What `input.server` should hold:
 * - every version a routing table of an environment on this server's pool sends traffic to,
 *   on the servers placement picks — unless a deployment running in that environment manages it
 *   (its candidate or previous version): then only the two rules below place it;
 * - the stable (previous) version of each running deployment there, kept warm so a rollback is
 *   a routing change;
 * - versions a running deployment warmed on this server (`keep` holds);
 * minus what a running deployment unloaded from this server on purpose (`exclude` holds win:
 * a rolling update moves servers one batch at a time).
 * The candidate and stable versions of running deployments are protected from unloading: their
 * workflow loads and unloads them.
 */
export function desiredState(input: DesiredStateInput): DesiredState {
  const me = input.server;
  const poolServers = (pool: string) => {
    const ids = input.servers.filter((s) => s.pool === pool).map((s) => s.id);
    if (pool === me.pool && !ids.includes(me.id)) ids.push(me.id);
    return ids;
  };
  const placedHere = (versionId: string, env: Environment) => {
    const p = input.placement[env];
    return p.pool === me.pool && placeVersion(versionId, poolServers(p.pool), p.replicas).includes(me.id);
  };
  const onMyPool = (env: Environment) => input.placement[env].pool === me.pool;

  const load = new Map<string, DesiredVersion>();
  const want = (versionId: string, modelId: string, modelName: string, reason: string) => {
    const d = load.get(versionId) ?? { versionId, modelId, modelName, reasons: [] };
    if (!d.reasons.includes(reason)) d.reasons.push(reason);
    load.set(versionId, d);
  };

  // A running deployment manages its own versions in its environment: a rolling update routes the
  // candidate while only some servers should hold it, so there its holds decide, not the route.
  const managed = new Set(input.running.flatMap((d) => [d.candidateVersionId, ...(d.stableVersionId ? [d.stableVersionId] : [])].map((v) => `${d.modelId}|${d.environment}|${v}`)));
  for (const t of input.tables)
    for (const v of versionsWithTraffic(t))
      if (!managed.has(`${t.modelId}|${t.environment}|${v}`) && placedHere(v, t.environment)) want(v, t.modelId, t.modelName, `routed in ${t.environment}`);
  for (const d of input.running)
    if (d.stableVersionId && placedHere(d.stableVersionId, d.environment)) want(d.stableVersionId, d.modelId, d.modelName, `kept warm by deployment ${d.deploymentId}`);
  for (const h of input.holds)
    if (h.kind === 'keep' && (h.server === me.id || (h.server === '*' && h.environment !== undefined && onMyPool(h.environment)))) want(h.versionId, h.modelId, h.modelName, `held by ${h.holder}`);
  for (const h of input.holds) if (h.kind === 'exclude' && (h.server === me.id || h.server === '*')) load.delete(h.versionId);

  const protect = new Set<string>();
  for (const d of input.running) {
    protect.add(d.candidateVersionId);
    if (d.stableVersionId) protect.add(d.stableVersionId);
  }
  for (const h of input.holds) if (h.kind === 'keep') protect.add(h.versionId);
  return { load, protect };
}

export interface UnservedVersion {
  modelName: string;
  environment: Environment;
  versionId: string;
  version: string;
}

/**
 * Routed versions that no live server holds Ready: what /health reports as degraded.
 * `ready(versionId)` = whether a live, non-draining server holds it Ready.
 */
export function unservedVersions(tables: readonly RoutedTable[], ready: (versionId: string) => boolean): UnservedVersion[] {
  const out: UnservedVersion[] = [];
  for (const t of tables) {
    const names = new Map([...t.pools.map((p) => [p.versionId, p.version] as const), ...(t.shadow ? [[t.shadow.versionId, t.shadow.version] as const] : [])]);
    for (const v of versionsWithTraffic(t)) if (!ready(v)) out.push({ modelName: t.modelName, environment: t.environment, versionId: v, version: names.get(v) ?? v });
  }
  return out;
}
