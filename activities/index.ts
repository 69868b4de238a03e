import type { DeploymentActivities } from './deployment-activity-types';
import { createDeploymentActivities } from './deployment-activities';
import type { DeploymentActivityDeps } from './deployment-deps';
import { createRegistryActivities, type RegistryActivityDeps } from './registry-activities';

export type ActivityDeps = RegistryActivityDeps & DeploymentActivityDeps;
export type { DeploymentActivityDeps, DeploymentActivitySettings } from './deployment-deps';

/** Every activity the worker registers, built once from injected adapters. `satisfies`: the worker registers the whole contract the workflows call. */
export function createActivities(deps: ActivityDeps) {
  return { ...createRegistryActivities(deps), ...createDeploymentActivities(deps) } satisfies DeploymentActivities;
}

export type Activities = ReturnType<typeof createActivities>;
