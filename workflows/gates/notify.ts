/**
 * Notification events of a deployment run. Sent in the background: the deployment goes on while
 * the activity retries, and the run waits for them only once its status is final (so a receiver
 * that is down delays the end of the workflow, never the deployment or its commands).
 */
import { CancellationScope, log, patched } from '@temporalio/workflow';
import { deploymentEvent, type DeploymentEventType } from '../../domain/notifications/events';
import { notifications } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';

/** Workflow patch: runs recorded before notification events send none. */
export const NOTIFICATION_EVENTS_PATCH = 'deployment-notification-events';

/** Starts sending the `type` event built from the run's current view; a failure is logged and recorded, never thrown. */
export function notify(run: DeploymentRun, type: DeploymentEventType): void {
  if (!patched(NOTIFICATION_EVENTS_PATCH)) return;
  const event = deploymentEvent(type, JSON.parse(JSON.stringify(run.view)) as DeploymentRun['view'], new Date(Date.now()).toISOString());
  const sending = CancellationScope.nonCancellable(() => notifications.sendNotification(event)).catch((err: unknown) => {
    log.warn('notification not delivered', { deploymentId: run.input.deploymentId, type, error: String(err) });
    run.record('notify', 'NotifyFailed', `${type}: ${err instanceof Error ? err.message : String(err)}`);
  });
  run.notifications.push(sending);
}

/** Waits until every notification of the run was delivered or given up. */
export async function notificationsSettled(run: DeploymentRun): Promise<void> {
  await Promise.all(run.notifications);
}
