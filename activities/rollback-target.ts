/**
 * resolveRollbackTarget: what rolling back a completed deployment restores. The routing ledger
 * (routing_revisions) keeps every revision; the deployment's writes carry its tag
 * (`deployment:<id>#<sequence>`, routing.ts), so the revision just before its first write is the
 * routing it replaced.
 */
import type { VersionRef } from '../domain/deployments/deployment-status';
import type { Environment } from '../domain/deployments/enums';
import type { RoutingTableDoc } from '../infra/mongo/routing-repository';
import type { RollbackTarget, RouteSpec } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { findModelVersion, liveServers } from './activity-support';
import { parseRouteTag } from './routing';
import { servingPool } from './targets';

const LEDGER_SCAN = 1000;

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
      const [table, ledger, servers] = await Promise.all([
        deps.routing.get(model.modelId, input.environment),
        deps.routing.history(model.modelId, input.environment, LEDGER_SCAN),
        liveServers(deps),
      ]);
      const mine = ledger.flatMap((d) => {
        const tag = parseRouteTag(d.updatedBy);
        return tag?.deploymentId === input.deploymentId ? [{ revision: d.revision, sequence: tag.sequence }] : [];
      });
      const lastSequence = Math.max(0, ...mine.map((m) => m.sequence));
      const firstRevision = mine.length > 0 ? Math.min(...mine.map((m) => m.revision)) : null;
      const before = firstRevision === null ? undefined : ledger.find((d) => d.revision === firstRevision - 1);
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
