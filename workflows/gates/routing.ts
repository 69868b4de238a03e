/** Routing changes: every write is fenced by a sequence number and confirmed by every gateway. */
import type { RoutePool, RouteSpec, RouteApplied } from '../../activities/deployment-activity-types';
import { canarySplit } from '../../domain/deployments/traffic-split';
import { routing } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';

/** Stable and candidate pools for a candidate weight (weights sum to 100; empty pools dropped). */
export function splitRoute(run: DeploymentRun, candidateWeight: number, extra: Partial<RouteSpec> = {}): RouteSpec {
  const split = canarySplit(candidateWeight);
  const pools: RoutePool[] = [];
  if (run.stable && split.stable > 0) pools.push({ versionId: run.stable.versionId, weight: split.stable });
  if (split.candidate > 0 || !run.stable) pools.push({ versionId: run.input.versionId, weight: run.stable ? split.candidate : 100 });
  return { pools, shadow: null, sticky: null, ...extra };
}

/** Only the stable version (no pools when there is none: the model stops being served). */
export function stableRoute(run: DeploymentRun, servers?: string[]): RouteSpec {
  const pools: RoutePool[] = run.stable ? [{ versionId: run.stable.versionId, weight: 100, ...(servers && { servers }) }] : [];
  return { pools, shadow: null, sticky: null };
}

/**
 * Applies a route that moves traffic off stable-only, marking compensation first (so a route
 * that was half-applied when the worker died is still undone). Returns the gateways' confirmation.
 */
export async function applyForwardRoute(run: DeploymentRun, route: RouteSpec, reason: string): Promise<RouteApplied> {
  run.compensation.routeChanged = true;
  const applied = await routing.applyRoute({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, environment: run.input.environment, sequence: run.nextRouteSequence(), route, reason });
  const candidatePool = route.pools.find((p) => p.versionId === run.input.versionId);
  run.view.trafficPercentage = candidatePool?.weight ?? 0;
  return applied;
}

/** Applies a route during compensation. */
export async function applyCompensatingRoute(run: DeploymentRun, route: RouteSpec, reason: string): Promise<RouteApplied> {
  const applied = await routing.applyRoute({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, environment: run.input.environment, sequence: run.nextRouteSequence(), route, reason });
  run.view.trafficPercentage = route.pools.find((p) => p.versionId === run.input.versionId)?.weight ?? 0;
  return applied;
}
