/**
 * Every DeploymentActivities method, composed from one small file per concern. The registry's
 * verifyArtifactIntegrity completes the interface (see index.ts).
 */
import type { DeploymentActivities } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { createAnalysisActivities } from './analysis';
import { createCandidateMeasurementActivities } from './candidate-measurement';
import { createLifecycleActivities } from './lifecycle';
import { createNotificationActivities } from './notifications';
import { createProjectionActivities } from './projection';
import { createRollbackTargetActivities } from './rollback-target';
import { createRoutingActivities } from './routing';
import { createShadowActivities } from './shadow';
import { createSmokeTestActivities } from './smoke-test';
import { createTargetActivities } from './targets';
import { createValidationActivities } from './validation';
import { createWarmUpActivities } from './warm-up';

export function createDeploymentActivities(deps: DeploymentActivityDeps): Omit<DeploymentActivities, 'verifyArtifactIntegrity'> {
  return {
    ...createTargetActivities(deps),
    ...createValidationActivities(deps),
    ...createCandidateMeasurementActivities(deps),
    ...createNotificationActivities(deps),
    ...createWarmUpActivities(deps),
    ...createRoutingActivities(deps),
    ...createRollbackTargetActivities(deps),
    ...createAnalysisActivities(deps),
    ...createSmokeTestActivities(deps),
    ...createShadowActivities(deps),
    ...createLifecycleActivities(deps),
    ...createProjectionActivities(deps),
  };
}
