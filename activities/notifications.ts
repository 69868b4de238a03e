/** The approval notification hook (infra/notifications): once per deployment, however often it is retried. */
import type { ValidationReport } from '../domain/deployments/deployment-status';
import type { DeploymentStrategy, Environment } from '../domain/deployments/enums';
import type { DeploymentActivityDeps } from './deployment-deps';
import { activityLog } from './activity-support';

export function createNotificationActivities(deps: DeploymentActivityDeps) {
  return {
    async notifyApprovalNeeded(input: { deploymentId: string; modelName: string; version: string; environment: Environment; strategy: DeploymentStrategy; initiatedBy: string; deadline: string; validation: ValidationReport | null }): Promise<void> {
      const outcome = await deps.notifier.approvalNeeded(input);
      activityLog()?.info('approval notification', { deploymentId: input.deploymentId, outcome });
    },
  };
}
