/**
 * resolveRollbackTarget: what rolling back a completed deployment restores. The routing ledger
 * (routing_revisions) keeps every revision; the deployment's writes carry its tag
 * (`deployment:<id>#<sequence>`, routing-ledger.ts), so the revision just before its first write
 * is the routing it replaced. The ledger is walked by _id (routing-ledger.ts says why).
 */
import type { VersionRef } from '../domain/deployments/deployment-status';
import type { Environment } from '../domain/deployments/enums';
import type { RoutingTableDoc } from '../infra/mongo/routing-repository';
import type { RollbackTarget, RouteSpec } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { findModelVersion, liveServers } from './activity-support';
import { deploymentStart, ownRevisions } from './routing-ledger';
import { servingPool } from './targets';

/** A ledger revision as a route to apply (pools without traffic dropped). */
export function routeOf(doc: RoutingTableDoc): RouteSpec {
  return {
    pools: doc.pools.filter((p) => p.weight > 0).map((p) => ({ versionId: p.versionId, weight: p.weight })),
    shadow: doc.shadow && doc.shadow.percentage > 0 ? { versionId: doc.shadow.versionId, percentage: doc.shadow.percentage } : null,
    sticky: doc.sticky ? { header: doc.sticky.header } : null,
  };
}

export function createRollbackTargetActivities(deps: DeploymentActivityDeps) {
  return {
    async resolveRollbackTarget(input: { deploymentId: string; modelId: string; environment: Environment; versionId: string; stable: VersionRef | null }): Promise<RollbackTarget> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      const [table, startedAt, servers] = await Promise.all([
        deps.routing.get(model.modelId, input.environment),
        deploymentStart(deps, input.deploymentId),
        liveServers(deps),
      ]);
      const mine = await ownRevisions(deps, { modelId: model.modelId, environment: input.environment, revision: table?.revision ?? 0 }, input.deploymentId, startedAt);
      const lastSequence = Math.max(0, ...mine.map((m) => m.tag.sequence));
      const firstRevision = mine.length > 0 ? Math.min(...mine.map((m) => m.d.revision)) : null;
      const before = firstRevision === null ? null : await deps.routing.revisionNumbered(model.modelId, input.environment, firstRevision - 1);
      const beforePool = before ? servingPool(before) : null;
      let route: RouteSpec;
      let previous: VersionRef | null;
      if (before && beforePool) {
        route = routeOf(before);
        previous = { versionId: beforePool.versionId, version: beforePool.version };
      } else {
        previous = input.stable;
        route = { pools: previous ? [{ versionId: previous.versionId, weight: 100 }] : [], shadow: null, sticky: null };
      }
      const serving = servingPool(table);
      let problem: string | null = null;
      if (!previous) problem = `there is no earlier routing of ${model.name} in ${input.environment} to go back to (a first deployment)`;
      else if (serving?.versionId !== version.versionId)
        problem = `the routing table of ${model.name} in ${input.environment} no longer serves ${version.version} (revision ${table?.revision ?? 0}${table?.updatedBy ? ` by ${table.updatedBy}` : ''}): a later change took over`;
      const versionIds = [...new Set([...route.pools.map((p) => p.versionId), ...(route.shadow ? [route.shadow.versionId] : [])])];
      return {
        route,
        restoresRevision: before && beforePool ? before.revision : null,
        lastSequence,
        versionIds,
        previous: previous ?? { versionId: '', version: '' },
        servers: servers.map((s) => s._id),
        problem,
      };
    },
  };
}
