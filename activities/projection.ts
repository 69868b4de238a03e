/** The deployment's projection in MongoDB, so status reads work while no worker runs. */
import { asyncLocalStorage } from '@temporalio/activity';
import type { DeploymentProjection } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { badInput } from './activity-support';

export function createProjectionActivities(deps: DeploymentActivityDeps) {
  return {
    /**
     * Upserts the projection when its sequence is newer than the stored one (older or repeated
     * writes change nothing). Records the run that published it, so the API follows
     * continue-as-new.
     */
    async recordDeploymentStatus(projection: DeploymentProjection): Promise<void> {
      if (typeof projection?.deploymentId !== 'string' || projection.deploymentId.length === 0 || !Number.isInteger(projection.sequence))
        throw badInput('VALIDATION_ERROR', 'a projection needs a deploymentId and an integer sequence');
      const runId = asyncLocalStorage.getStore()?.info.workflowExecution?.runId;
      await deps.deployments.record(projection, runId);
    },
  };
}
