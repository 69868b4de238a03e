/**
 * applyRoute: a new routing-table revision, fenced per deployment by `sequence`, confirmed by
 * every live gateway.
 *
 * Fencing without a second document: every revision a deployment writes carries
 * `updatedBy = deployment:<deploymentId>#<sequence>`, and the repository's revision ledger keeps
 * every revision. A write reads the table (revision r) and the ledger, and is refused when the
 * ledger already holds a newer sequence of the same deployment; it then writes conditionally on
 * r, so the check covers every revision up to the one it replaces (a concurrent writer makes
 * the conditional write fail, and the loop decides again). A repeated sequence finds its own
 * revision in the ledger and only waits for the gateways again.
 */
import type { Environment } from '../domain/deployments/enums';
import type { PoolRole, RoutingRules } from '../domain/routing/routing-rules';
import { routingRuleProblems } from '../domain/routing/routing-rules';
import type { RoutingTableDoc } from '../infra/mongo/routing-repository';
import type { RouteApplied, RouteSpec } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { activityLog, badInput, beat, cancellation, findModel } from './activity-support';
import type { Model } from '../domain/models/model';
import { DEFAULT_PLACEMENT } from '../domain/serving/placement';
import { loadFirst } from '../infra/serving/load-first';
import { deploymentStart, ownRevisions, routeTag } from './routing-ledger';

const WRITE_ATTEMPTS = 10;
/** How long one applyRoute attempt waits for a version it loads first (inside its 30-s timeout; the activity is retried and finds its hold in place). */
const LOAD_FIRST_TIMEOUT_MS = 8_000;

/**
 * Pool roles for a new route: a version keeps the role it had in the current table; one that
 * enters gets `challenger` under a sticky (A/B) rule, else `canary`; a route of one pool is
 * `primary`. Example: current {v1 primary 100}, new {v1 90, v2 10} → v1 primary, v2 canary.
 */
export function poolRoles(route: RouteSpec, current: RoutingTableDoc | null): PoolRole[] {
  if (route.pools.length === 1) return ['primary'];
  const had = new Map((current?.pools ?? []).map((p) => [p.versionId, p.role ?? 'primary']));
  const roles = route.pools.map((p): PoolRole => had.get(p.versionId) ?? (route.sticky ? 'challenger' : 'canary'));
  // Someone must be primary: the heaviest pool when no version carried the role over.
  if (!roles.includes('primary')) {
    let heaviest = 0;
    route.pools.forEach((p, i) => {
      if (p.weight > route.pools[heaviest].weight) heaviest = i;
    });
    roles[heaviest] = 'primary';
  }
  return roles;
}

export function createRoutingActivities(deps: DeploymentActivityDeps) {
  const now = () => deps.now?.() ?? new Date();

  /** The route as routing rules; `known` names versions already read (versionId → version), the others are read. */
  async function rulesFor(model: Model, route: RouteSpec, current: RoutingTableDoc | null, known: ReadonlyMap<string, string>): Promise<RoutingRules> {
    const versionOf = async (versionId: string) => {
      const name = known.get(versionId);
      if (name !== undefined) return name;
      const v = await deps.versions.find(model.modelId, versionId);
      if (!v) throw badInput('VERSION_NOT_FOUND', `Version ${versionId} of ${model.name} does not exist`);
      return v.version;
    };
    const roles = poolRoles(route, current);
    const pools = await Promise.all(route.pools.map(async (p, i) => ({ versionId: p.versionId, version: await versionOf(p.versionId), weight: p.weight, role: roles[i] })));
    const shadow = route.shadow ? { versionId: route.shadow.versionId, version: await versionOf(route.shadow.versionId), percentage: route.shadow.percentage } : null;
    const rules: RoutingRules = { pools, shadow, sticky: route.sticky ? { header: route.sticky.header.toLowerCase() } : null, cache: current?.cache ?? null };
    const problems = routingRuleProblems(rules);
    if (problems.length > 0) throw badInput('VALIDATION_ERROR', `invalid route: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
    return rules;
  }

  /**
   * Load first, then move traffic: a version the route sends traffic to that no live server
   * holds Ready (e.g. every server restarted, or a retired version routed again) is held for
   * this deployment and loaded by the servers' reconcilers before the route is written.
   */
  async function loadBeforeRouting(model: Model, input: { deploymentId: string; environment: Environment; route: RouteSpec }): Promise<Map<string, string>> {
    const ids = [...input.route.pools.filter((p) => p.weight > 0).map((p) => p.versionId), ...(input.route.shadow && input.route.shadow.percentage > 0 ? [input.route.shadow.versionId] : [])];
    const versions = await Promise.all(
      [...new Set(ids)].map(async (versionId) => {
        const v = await deps.versions.find(model.modelId, versionId);
        if (!v) throw badInput('VERSION_NOT_FOUND', `Version ${versionId} of ${model.name} does not exist`);
        return { versionId: v.versionId, version: v.version };
      }),
    );
    const result = await loadFirst(
      { servers: deps.servers, holds: deps.holds, heartbeatTimeoutMs: deps.settings.serverHeartbeatTimeoutMs, placement: deps.settings.placement ?? DEFAULT_PLACEMENT },
      { holder: input.deploymentId, modelId: model.modelId, modelName: model.name, environment: input.environment, versions, timeoutMs: LOAD_FIRST_TIMEOUT_MS, signal: cancellation(), onWait: () => beat({ loadingFirst: versions.map((v) => v.version) }) },
    );
    if (result.loaded.length > 0) activityLog()?.info('loaded before routing', { deploymentId: input.deploymentId, versions: result.loaded });
    const refused = result.notReady.filter((n) => n.kind === 'refused');
    if (refused.length > 0) throw badInput('INSUFFICIENT_CAPACITY', `cannot route to ${refused.map((n) => `${n.version} (${n.reason})`).join('; ')}`);
    // No server yet, or still loading: retryable, the next attempt finds its hold in place.
    if (result.notReady.length > 0) throw new Error(`not routing yet: ${result.notReady.map((n) => n.reason).join('; ')}`);
    return new Map(versions.map((v) => [v.versionId, v.version]));
  }

  return {
    async applyRoute(input: { deploymentId: string; modelId: string; environment: Environment; sequence: number; route: RouteSpec; reason: string }): Promise<RouteApplied> {
      const started = Date.now();
      const model = await findModel(deps, input.modelId);
      const tag = routeTag(input.deploymentId, input.sequence);
      const [startedAt, known] = await Promise.all([deploymentStart(deps, input.deploymentId), loadBeforeRouting(model, input)]);
      let revision: number | null = null;
      for (let attempt = 0; revision === null; attempt++) {
        if (attempt >= WRITE_ATTEMPTS) throw new Error(`routing table of ${model.name} in ${input.environment} is being changed concurrently; will retry`);
        const current = await deps.routing.get(model.modelId, input.environment);
        const mine = await ownRevisions(deps, { modelId: model.modelId, environment: input.environment, revision: current?.revision ?? 0 }, input.deploymentId, startedAt, input.sequence);
        const same = mine.find((x) => x.tag.sequence === input.sequence);
        if (same) {
          // An earlier attempt claimed it; if it died (or timed out) before writing the table, write it now.
          revision = same.d.revision;
          await deps.routing.ensureApplied(model.modelId, input.environment, revision);
          break;
        }
        const newer = mine.filter((x) => x.tag.sequence > input.sequence).sort((a, b) => b.d.revision - a.d.revision)[0];
        if (newer) {
          // A late retry of an older route: never overwrite the newer one (e.g. a rollback). Report the revision that superseded it.
          revision = newer.d.revision;
          break;
        }
        const rules = await rulesFor(model, input.route, current, known);
        const doc = await deps.routing.replace({ modelId: model.modelId, modelName: model.name, environment: input.environment, ...rules, updatedBy: tag }, current?.revision ?? 0);
        if (doc) revision = doc.revision;
      }
      beat({ revision });
      activityLog()?.info('route written', { deploymentId: input.deploymentId, sequence: input.sequence, revision, reason: input.reason });
      const wait = await deps.gateways.waitForRevision(model.modelId, input.environment, revision, deps.settings.routeConfirmTimeoutMs);
      if (!wait.reached) {
        // Retryable: the next attempt finds its revision in the ledger and only waits again.
        throw new Error(`revision ${revision} of ${model.name}/${input.environment} not confirmed within ${deps.settings.routeConfirmTimeoutMs} ms by ${wait.lagging.map((g) => `${g.gatewayId} (at ${g.revision})`).join(', ')}`);
      }
      return { revision, confirmedAt: now().toISOString(), gateways: wait.gateways, elapsedMs: Date.now() - started };
    },
  };
}
