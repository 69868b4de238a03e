/**
 * Notifications: the approval hook (infra/notifications/approval-notifier, once per deployment) and
 * notification events to the webhooks of each environment (infra/notifications/webhook-dispatcher).
 */
import { ApplicationFailure } from '@temporalio/common';
import { deploymentEventId, NOTIFICATION_FAILED, NOTIFICATION_REJECTED, type NotificationEvent } from '../domain/notifications/events';
import { WebhookDeliveryError } from '../infra/notifications/webhook-dispatcher';
import type { ApprovalNeededInput } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { activityLog } from './activity-support';

export function createNotificationActivities(deps: DeploymentActivityDeps) {
  const dispatch = async (event: NotificationEvent): Promise<void> => {
    try {
      const outcome = await deps.dispatcher.dispatch(event);
      activityLog()?.info('notification delivered', { eventId: event.id, ...outcome });
    } catch (err) {
      if (!(err instanceof WebhookDeliveryError)) throw err;
      throw ApplicationFailure.create({ message: err.message, type: err.permanent ? NOTIFICATION_REJECTED : NOTIFICATION_FAILED, nonRetryable: err.permanent });
    }
  };
  return {
    async notifyApprovalNeeded(input: ApprovalNeededInput): Promise<void> {
      const { previousVersion, ...request } = input;
      const outcome = await deps.notifier.approvalNeeded(request);
      activityLog()?.info('approval notification', { deploymentId: input.deploymentId, outcome });
      await dispatch({
        id: deploymentEventId(input.deploymentId, 'deployment.approval_needed'),
        type: 'deployment.approval_needed',
        occurredAt: (deps.now?.() ?? new Date()).toISOString(),
        environment: input.environment,
        deployment: { deploymentId: input.deploymentId, modelName: input.modelName, version: input.version, previousVersion: previousVersion ?? null, strategy: input.strategy, initiatedBy: input.initiatedBy },
        deadline: input.deadline,
        validation: input.validation,
      });
    },

    sendNotification: dispatch,
  };
}
