import type { Environment } from '../../domain/deployments/enums';
import type { NotificationEvent, NotificationEventType } from '../../domain/notifications/events';
import type { WebhookFormat } from '../../domain/notifications/payloads';

/** One configured webhook (NOTIFY_WEBHOOKS), its secret resolved from the variable it names. */
export interface WebhookTarget {
  /** Stable name: the delivery record is keyed by event id and this name. */
  name: string;
  /** The environment whose events it receives ("*": every environment). */
  environment: Environment | '*';
  url: string;
  format: WebhookFormat;
  /** HMAC secret; null = unsigned (allowed for Slack-compatible hooks only). */
  secret: string | null;
  /** Event types it receives; null = all. */
  events: NotificationEventType[] | null;
}

/** The targets that receive `event`. Example: a Production-only target does not receive a Staging event. */
export function targetsFor(targets: readonly WebhookTarget[], event: Pick<NotificationEvent, 'environment' | 'type'>): WebhookTarget[] {
  return targets.filter((t) => (t.environment === '*' || t.environment === event.environment) && (t.events === null || t.events.includes(event.type)));
}
