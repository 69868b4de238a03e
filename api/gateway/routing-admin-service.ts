import { AppError, errors, type ErrorDetail } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import { ENVIRONMENTS, normalizeEnvironment, type Environment } from '../../domain/routing/environments';
import { routingRuleProblems, servedVersionIds, type CacheSettings, type PoolRole, type RoutingRules } from '../../domain/routing/routing-rules';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { RoutingRepository, RoutingTableDoc } from '../../infra/mongo/routing-repository';
import type { ServerRegistry } from '../../infra/mongo/server-registry';
import type { ServingHoldRepository } from '../../infra/mongo/serving-hold-repository';
import type { VersionRepository } from '../../infra/mongo/version-repository';
import type { PlacementMap } from '../../domain/serving/placement';
import { loadFirst } from '../../infra/serving/load-first';

export interface RoutingInput {
  pools: { version: string; weight: number; role?: PoolRole }[];
  shadow?: { version: string; percentage: number } | null;
  sticky?: { header: string } | null;
  /** Omitted: keep the current cache settings (a model setting, not a traffic rule). */
  cache?: { enabled: boolean; ttlSeconds?: number; maxEntries?: number } | null;
  /** Optimistic concurrency: refuse (409) unless the table is still at this revision (0: must not exist). */
  expectedRevision?: number;
}

export interface RoutingView {
  modelId: string;
  modelName: string;
  environment: string;
  revision: number;
  pools: { version: string; versionId: string; weight: number; role: PoolRole }[];
  shadow: { version: string; versionId: string; percentage: number } | null;
  sticky: { header: string } | null;
  cache: CacheSettings | null;
  updatedAt: string;
  updatedBy: string | null;
}

export const CACHE_DEFAULTS = { ttlSeconds: 60, maxEntries: 10_000 } as const;
const WRITE_ATTEMPTS = 5;
/** How long a manual routing change holds a version it loads first (the route itself keeps it loaded once written). */
const HOLD_MS = 10 * 60_000;

export function routingView(d: RoutingTableDoc): RoutingView {
  return {
    modelId: d.modelId,
    modelName: d.modelName,
    environment: d.environment,
    revision: d.revision,
    pools: d.pools.map((p) => ({ version: p.version, versionId: p.versionId, weight: p.weight, role: p.role ?? 'primary' })),
    shadow: d.shadow ? { version: d.shadow.version, versionId: d.shadow.versionId, percentage: d.shadow.percentage } : null,
    sticky: d.sticky ?? null,
    cache: d.cache ?? null,
    updatedAt: d.updatedAt.toISOString(),
    updatedBy: d.updatedBy ?? null,
  };
}

/**
 * Admin routes over the routing tables (the deployment workflows drive the same repository
 * from activities). Every version a change sends traffic to must exist; one that no live model
 * server holds Ready is loaded first (see loadFirst), so a route never points at nothing. A
 * change bumps the table's revision atomically.
 */
export class RoutingAdminService {
  constructor(
    private readonly deps: {
      models: ModelRepository;
      versions: VersionRepository;
      routing: RoutingRepository;
      servers: ServerRegistry;
      holds: ServingHoldRepository;
      heartbeatTimeoutMs: number;
      placement: PlacementMap;
      /** How long a change waits for a version it loads first (ROUTING_LOAD_TIMEOUT_MS). */
      loadTimeoutMs: number;
    },
  ) {}

  private async model(modelName: string) {
    const model = await this.deps.models.findByIdOrName(modelName);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', modelName);
    return model;
  }

  private environment(name: string): string {
    const env = normalizeEnvironment(name);
    if (!env) throw AppError.validation('environment', `must be one of ${ENVIRONMENTS.join(', ')}`);
    return env;
  }

  async get(modelName: string, environmentName: string): Promise<RoutingView> {
    const environment = this.environment(environmentName);
    const model = await this.model(modelName);
    const doc = await this.deps.routing.get(model.modelId, environment);
    if (!doc) throw errors.notFound('NOT_FOUND', `routing table of ${model.name} in ${environment}`);
    return routingView(doc);
  }

  /** The table in force at `at`, with the time it took over and the time the next revision did (null: still in force). */
  async at(modelName: string, environmentName: string, at: Date): Promise<RoutingView & { inForceFrom: string; inForceUntil: string | null }> {
    const environment = this.environment(environmentName);
    const model = await this.model(modelName);
    const found = await this.deps.routing.revisionAt(model.modelId, environment, at);
    if (!found) throw errors.notFound('NOT_FOUND', `routing revision of ${model.name} in ${environment} at ${at.toISOString()}`);
    return { ...routingView(found.table), inForceFrom: found.table.updatedAt.toISOString(), inForceUntil: found.until?.toISOString() ?? null };
  }

  /** Replaces the table; returns the new view and the one it replaced (null: there was none). */
  async put(modelName: string, environmentName: string, input: RoutingInput, principal: Principal): Promise<{ view: RoutingView; previous: RoutingView | null }> {
    const environment = this.environment(environmentName);
    const model = await this.model(modelName);

    const resolve = async (version: string, field: string) => {
      const v = await this.deps.versions.find(model.modelId, version);
      if (!v) throw new AppError('VERSION_NOT_FOUND', `Model version does not exist: ${model.name} ${version}`, [{ field, message: `${model.name} has no version ${version}` }]);
      return v;
    };
    const pools: RoutingRules['pools'] = [];
    for (const [i, p] of input.pools.entries()) {
      const v = await resolve(p.version, `pools[${i}].version`);
      pools.push({ versionId: v.versionId, version: v.version, weight: p.weight, role: p.role ?? 'primary' });
    }
    const shadowVersion = input.shadow ? await resolve(input.shadow.version, 'shadow.version') : null;
    const shadow = input.shadow && shadowVersion ? { versionId: shadowVersion.versionId, version: shadowVersion.version, percentage: input.shadow.percentage } : null;
    const sticky = input.sticky ? { header: input.sticky.header.toLowerCase() } : null;
    const current = await this.deps.routing.get(model.modelId, environment);
    const cache: CacheSettings | null =
      input.cache === undefined
        ? (current?.cache ?? null)
        : input.cache === null
          ? null
          : { enabled: input.cache.enabled, ttlSeconds: input.cache.ttlSeconds ?? CACHE_DEFAULTS.ttlSeconds, maxEntries: input.cache.maxEntries ?? CACHE_DEFAULTS.maxEntries };
    const rules: RoutingRules = { pools, shadow, sticky, cache };
    const problems = routingRuleProblems(rules);
    if (problems.length > 0) throw errors.validation(problems, 'Invalid routing table');
    const holder = `routing:${model.modelId}:${environment}`;
    await this.loadFirst(holder, model, environment as Environment, servedVersionIds(rules), rules);

    const write = { modelId: model.modelId, modelName: model.name, environment, ...rules, updatedBy: principal.username };
    let observed = current;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const revision = observed?.revision ?? 0;
      if (input.expectedRevision !== undefined && input.expectedRevision !== revision) throw revisionConflict(input.expectedRevision, revision);
      const doc = await this.deps.routing.replace(write, revision);
      if (doc) {
        // The route keeps what it routes loaded from now on; the hold that loaded it can go.
        await this.deps.holds.release(holder).catch(() => undefined);
        return { view: routingView(doc), previous: observed ? routingView(observed) : null };
      }
      observed = await this.deps.routing.get(model.modelId, environment);
    }
    throw errors.conflict('The routing table is being changed concurrently; try again');
  }

  /**
   * Load first, then move traffic: each routed version that no live server holds Ready is held
   * (for ten minutes) on the servers placement picks in the environment's pool, and the change
   * waits until one reports it Ready. 507 when servers refuse it (memory budget, a model that
   * does not load), 503 with Retry-After when the pool has no live server or it is still loading
   * (the hold stays, so the same request later finds it loaded).
   */
  private async loadFirst(holder: string, model: { modelId: string; name: string }, environment: Environment, versionIds: string[], rules: RoutingRules): Promise<void> {
    const fields = new Map<string, { field: string; version: string }>();
    rules.pools.forEach((p, i) => fields.set(p.versionId, { field: `pools[${i}].version`, version: p.version }));
    if (rules.shadow && !fields.has(rules.shadow.versionId)) fields.set(rules.shadow.versionId, { field: 'shadow.version', version: rules.shadow.version });
    const versions = versionIds.map((versionId) => ({ versionId, version: fields.get(versionId)!.version }));
    const result = await loadFirst(
      { servers: this.deps.servers, holds: this.deps.holds, heartbeatTimeoutMs: this.deps.heartbeatTimeoutMs, placement: this.deps.placement },
      { holder, modelId: model.modelId, modelName: model.name, environment, versions, timeoutMs: this.deps.loadTimeoutMs, expiresAt: new Date(Date.now() + HOLD_MS) },
    );
    if (result.notReady.length === 0) return;
    const details: ErrorDetail[] = result.notReady.map((n) => ({ field: fields.get(n.versionId)!.field, message: n.reason }));
    if (result.notReady.some((n) => n.kind === 'refused')) throw new AppError('INSUFFICIENT_CAPACITY', 'A routed version cannot be loaded by the model servers; the routing table is unchanged', details);
    throw new AppError('SERVICE_UNAVAILABLE', 'A routed version is not Ready on any model server yet; the routing table is unchanged (retry: it keeps loading)', details, { 'retry-after': '5' });
  }
}

const revisionConflict = (expected: number, actual: number) =>
  errors.conflict(`The routing table is at revision ${actual}, not ${expected}`, [{ field: 'expectedRevision', message: `current revision is ${actual}` }]);
