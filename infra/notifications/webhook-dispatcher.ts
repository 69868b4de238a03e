/**
 * Delivers notification events to the webhooks configured for their environment. Each (event,
 * target) delivery is recorded once it succeeded, so a retry of the activity sends only to the
 * targets that failed; each request carries the event id (`Idempotency-Key`) for receivers to
 * drop the duplicate a crash between "sent" and "recorded" may cause.
 */
import type { Collection, Db } from 'mongodb';
import type { NotificationEvent } from '../../domain/notifications/events';
import { summarize, webhookPayload } from '../../domain/notifications/payloads';
import type { Logger } from '../telemetry/logger';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './webhook-signature';
import { targetsFor, type WebhookTarget } from './webhook-targets';

/** A delivery that did not get through. `permanent`: the receiver refused the request itself (4xx), so retrying cannot help. */
export class WebhookDeliveryError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/** 408 and 429 ask the sender to come back later; any other 4xx refuses the request. */
const isPermanentStatus = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

export interface WebhookSendOptions {
  fetchFn?: typeof fetch;
  now?: () => Date;
  timeoutMs?: number;
}

/** POSTs the event to one target, signed when it has a secret. Throws WebhookDeliveryError unless the answer is 2xx. */
export async function postWebhook(target: WebhookTarget, event: NotificationEvent, opts: WebhookSendOptions = {}): Promise<void> {
  const body = JSON.stringify(webhookPayload(event, target.format));
  const timestamp = Math.floor((opts.now ?? (() => new Date()))().getTime() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'HotSwap-Webhooks/1',
    'idempotency-key': event.id,
    'x-hotswap-event': event.type,
    'x-hotswap-event-id': event.id,
    [TIMESTAMP_HEADER]: String(timestamp),
  };
  if (target.secret) headers[SIGNATURE_HEADER] = signWebhook(target.secret, timestamp, body);
  let res: Response;
  try {
    res = await (opts.fetchFn ?? fetch)(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (err) {
    throw new WebhookDeliveryError(`${target.name}: ${err instanceof Error ? err.message : String(err)}`, false);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new WebhookDeliveryError(`${target.name} answered HTTP ${res.status}`, isPermanentStatus(res.status));
}

interface DeliveryDoc {
  _id: string; // `${eventId}@${target}`
  eventId: string;
  type: NotificationEvent['type'];
  target: string;
  sentAt: Date;
}

export interface DispatchOutcome {
  sent: string[];
  alreadySent: string[];
}

export class NotificationDispatcher {
  private readonly col: Collection<DeliveryDoc>;
  constructor(
    db: Db,
    private readonly targets: readonly WebhookTarget[],
    private readonly log: Pick<Logger, 'info'>,
    private readonly opts: WebhookSendOptions = {},
  ) {
    this.col = db.collection<DeliveryDoc>('notification_deliveries');
  }

  /** Sends `event` to every target of its environment that has not received it yet; throws WebhookDeliveryError naming those that failed. */
  async dispatch(event: NotificationEvent): Promise<DispatchOutcome> {
    // The log is the record of last resort, with or without webhooks.
    this.log.info({ event: event.type, eventId: event.id, environment: event.environment }, summarize(event));
    const targets = targetsFor(this.targets, event);
    const results = await Promise.allSettled(targets.map((t) => this.deliver(t, event)));
    const outcome: DispatchOutcome = { sent: [], alreadySent: [] };
    const failures: WebhookDeliveryError[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') outcome[r.value].push(targets[i].name);
      else failures.push(r.reason instanceof WebhookDeliveryError ? r.reason : new WebhookDeliveryError(`${targets[i].name}: ${String(r.reason)}`, false));
    });
    if (failures.length > 0) throw new WebhookDeliveryError(`notification ${event.id} not delivered (${failures.map((f) => f.message).join('; ')})`, failures.every((f) => f.permanent));
    return outcome;
  }

  private async deliver(target: WebhookTarget, event: NotificationEvent): Promise<keyof DispatchOutcome> {
    const _id = `${event.id}@${target.name}`;
    if (await this.col.findOne({ _id }, { projection: { _id: 1 } })) return 'alreadySent';
    await postWebhook(target, event, this.opts);
    await this.col.updateOne({ _id }, { $set: { eventId: event.id, type: event.type, target: target.name, sentAt: (this.opts.now ?? (() => new Date()))() } }, { upsert: true });
    return 'sent';
  }
}
