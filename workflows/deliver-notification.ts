/**
 * deliverNotification: sends one notification event, retrying with backoff. Started as an
 * abandoned child (id `notify-<event id>`) by workflows whose end a caller waits for, so the
 * caller never waits for a webhook; the Web UI shows each delivery and how it went.
 */
import { ParentClosePolicy, log, startChild } from '@temporalio/workflow';
import type { NotificationEvent } from '../domain/notifications/events';
import { notifications } from './activity-stubs';

export async function deliverNotification(event: NotificationEvent): Promise<void> {
  await notifications.sendNotification(event);
}

/** Starts deliverNotification for `event` without waiting for it; a start that fails is logged (a notification never fails its sender). */
export async function startNotification(event: NotificationEvent): Promise<void> {
  try {
    await startChild(deliverNotification, { args: [event], workflowId: `notify-${event.id}`, parentClosePolicy: ParentClosePolicy.ABANDON });
  } catch (err) {
    log.warn('notification not started', { eventId: event.id, error: String(err) });
  }
}
