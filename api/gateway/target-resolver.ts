import { AppError } from '../../domain/errors';
import type { ModelCatalog } from './model-catalog';
import { selectTarget, type CompiledRoute, type RouteTables } from './route-tables';
import type { Target } from './target';

export interface Resolved {
  target: Target;
  /** The routing table of (model, environment), when there is one (shadow, cache). */
  route: CompiledRoute | undefined;
}

/** Reads a request header by lower-case name (the sticky key); undefined when absent. */
export type HeaderReader = (name: string) => string | undefined;

/**
 * Turns (model, environment, optional pinned version, request headers) into the version a
 * request goes to. Unpinned requests follow the routing table (sticky key or weighted draw);
 * a pinned version is taken from the table's pools when listed there (keeping the pool's
 * role), else looked up in the registry (role primary).
 */
export class TargetResolver {
  constructor(
    private readonly tables: RouteTables,
    private readonly catalog: ModelCatalog,
  ) {}

  /**
   * The synchronous fast path: the routing table alone decides (unpinned, or pinned to a
   * version in its pools). Undefined when the registry must be asked; call resolve then.
   */
  resolveRouted(modelName: string, environment: string, pinned: string | undefined, header: HeaderReader): Resolved | undefined {
    const route = this.tables.get(modelName, environment);
    if (!route) return undefined;
    if (pinned === undefined) return { target: selectTarget(route, route.stickyHeader === null ? undefined : header(route.stickyHeader)), route };
    for (const t of route.targets) if (t.version === pinned || t.versionId === pinned) return { target: t, route };
    return undefined;
  }

  async resolve(modelName: string, environment: string, pinned: string | undefined, header: HeaderReader): Promise<Resolved> {
    const route = this.tables.get(modelName, environment);
    if (pinned === undefined) {
      if (route) return { target: selectTarget(route, route.stickyHeader === null ? undefined : header(route.stickyHeader)), route };
      if (!(await this.catalog.model(modelName))) throw new AppError('MODEL_NOT_FOUND', `Model does not exist: ${modelName}`);
      throw new AppError('SERVICE_UNAVAILABLE', `Model ${modelName} has no route in ${environment}: set one with PUT /api/v1/routing/${modelName}/${environment}`, [], { 'Retry-After': '5' });
    }
    if (route) for (const t of route.targets) if (t.version === pinned || t.versionId === pinned) return { target: t, route };
    const model = route ? { modelId: route.modelId, name: route.modelName } : await this.catalog.model(modelName);
    if (!model) throw new AppError('MODEL_NOT_FOUND', `Model does not exist: ${modelName}`);
    const target = await this.catalog.target(model, pinned, environment);
    if (!target) throw new AppError('VERSION_NOT_FOUND', `Model version does not exist: ${modelName} ${pinned}`, [{ field: 'version', message: `${modelName} has no version ${pinned}` }]);
    return { target, route };
  }

  /**
   * Where an unpinned request goes once more after its version turned out to be gone everywhere
   * (SERVICE_UNAVAILABLE from every server of `failedOn`): it was resolved just before a route
   * switch and reached the servers after the old version was unloaded. The answer is the target
   * the routing table picks now, when that is another version; undefined for a pinned request
   * (never moved), another error, or when the table still picks the version that failed.
   */
  rerouteAfter(failure: unknown, failedOn: Target, modelName: string, environment: string, pinned: string | undefined, header: HeaderReader): Resolved | undefined {
    if (pinned !== undefined || !(failure instanceof AppError) || failure.code !== 'SERVICE_UNAVAILABLE') return undefined;
    const now = this.resolveRouted(modelName, environment, undefined, header);
    return now && now.target.versionId !== failedOn.versionId ? now : undefined;
  }

  /** Whether the model exists (for accepting async requests up front). */
  async modelExists(modelName: string, environment: string): Promise<boolean> {
    return this.tables.get(modelName, environment) !== undefined || (await this.catalog.model(modelName)) !== null;
  }

  stickyHeaderOf(modelName: string, environment: string): string | null {
    return this.tables.get(modelName, environment)?.stickyHeader ?? null;
  }
}
