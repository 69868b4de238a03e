import { AppError, errors, type ErrorDetail } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import { ENVIRONMENTS, normalizeEnvironment } from '../../domain/routing/environments';
import { routingRuleProblems, servedVersionIds, type CacheSettings, type PoolRole, type RoutingRules } from '../../domain/routing/routing-rules';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { RoutingRepository, RoutingTableDoc } from '../../infra/mongo/routing-repository';
import type { ServerRegistry } from '../../infra/mongo/server-registry';
import type { VersionRepository } from '../../infra/mongo/version-repository';

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
 * from activities). A change is accepted only when every version it sends traffic to exists
 * and is loaded Ready on at least one live model server — so a route never points at nothing —
 * and it bumps the table's revision atomically.
 */
export class RoutingAdminService {
  constructor(
    private readonly deps: {
      models: ModelRepository;
      versions: VersionRepository;
      routing: RoutingRepository;
      servers: ServerRegistry;
      heartbeatTimeoutMs: number;
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

  async put(modelName: string, environmentName: string, input: RoutingInput, principal: Principal): Promise<RoutingView> {
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
    await this.checkReady(servedVersionIds(rules), rules);

    const write = { modelId: model.modelId, modelName: model.name, environment, ...rules, updatedBy: principal.username };
    let observed = current;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const revision = observed?.revision ?? 0;
      if (input.expectedRevision !== undefined && input.expectedRevision !== revision) throw revisionConflict(input.expectedRevision, revision);
      const doc = await this.deps.routing.replace(write, revision);
      if (doc) return routingView(doc);
      observed = await this.deps.routing.get(model.modelId, environment);
    }
    throw errors.conflict('The routing table is being changed concurrently; try again');
  }

  /** 409 unless each version is Ready on at least one live, non-draining model server. */
  private async checkReady(versionIds: string[], rules: RoutingRules): Promise<void> {
    const servers = await this.deps.servers.live(this.deps.heartbeatTimeoutMs);
    const ready = new Set<string>();
    for (const s of servers) if (s.health !== 'draining') for (const v of s.loaded) if (v.state === 'Ready') ready.add(v.versionId);
    const missing: ErrorDetail[] = [];
    rules.pools.forEach((p, i) => {
      if (versionIds.includes(p.versionId) && !ready.has(p.versionId)) missing.push({ field: `pools[${i}].version`, message: `${p.version} is not loaded Ready on any live model server` });
    });
    if (rules.shadow && versionIds.includes(rules.shadow.versionId) && !ready.has(rules.shadow.versionId))
      missing.push({ field: 'shadow.version', message: `${rules.shadow.version} is not loaded Ready on any live model server` });
    if (missing.length > 0) throw errors.conflict('A routed version is not being served: load it on a model server first', missing);
  }
}

const revisionConflict = (expected: number, actual: number) =>
  errors.conflict(`The routing table is at revision ${actual}, not ${expected}`, [{ field: 'expectedRevision', message: `current revision is ${actual}` }]);
