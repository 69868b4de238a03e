import type { DeploymentTargets } from './deployment-activity-types';
import type { Environment } from '../domain/deployments/enums';
import type { RoutingTableDoc } from '../infra/mongo/routing-repository';
import type { DeploymentActivityDeps } from './deployment-deps';
import { DEFAULT_PLACEMENT, placeVersion } from '../domain/serving/placement';
import { findModelVersion, liveServers, poolServers } from './activity-support';

/**
 * The version serving a routing table now: the pool with the largest weight (a table left
 * mid-split by a deployment that died still has a clear majority owner; ties go to the first).
 * Null without a table or without weighted pools.
 */
export function servingPool(table: RoutingTableDoc | null): RoutingTableDoc['pools'][number] | null {
  let best: RoutingTableDoc['pools'][number] | null = null;
  for (const p of table?.pools ?? []) if (p.weight > 0 && (!best || p.weight > best.weight)) best = p;
  return best;
}

export function createTargetActivities(deps: DeploymentActivityDeps) {
  return {
    /**
     * Stable = what the routing table of (model, environment) serves now. Servers = the live,
     * non-draining model servers placement picks for the candidate in the environment's pool
     * (SERVING_PLACEMENT: every server of the pool unless a replica count is set; a rolling
     * update walks through them).
     */
    async resolveDeploymentTargets(input: { deploymentId: string; modelId: string; versionId: string; environment: Environment }): Promise<DeploymentTargets> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      const [table, servers] = await Promise.all([deps.routing.get(model.modelId, input.environment), liveServers(deps)]);
      const pool = servingPool(table);
      return {
        stable: pool ? { versionId: pool.versionId, version: pool.version } : null,
        servers: placeVersion(version.versionId, poolServers(deps, input.environment, servers).map((s) => s._id), (deps.settings.placement ?? DEFAULT_PLACEMENT)[input.environment].replicas),
        modelName: model.name,
        version: version.version,
      };
    },
  };
}
