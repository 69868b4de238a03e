import type { Collection, Db } from 'mongodb';
import type { ValidationReport } from '../../domain/deployments/deployment-status';
import type { DeploymentStrategy, Environment } from '../../domain/deployments/enums';
import { isDuplicateKeyError } from '../mongo/client';
import type { Logger } from '../telemetry/logger';

/** What approvers are told when a Production deployment waits for them. */
export interface ApprovalRequest {
  deploymentId: string;
  modelName: string;
  version: string;
  environment: Environment;
  strategy: DeploymentStrategy;
  /** User id of whoever started it (they may not approve it themselves). */
  initiatedBy: string;
  /** ISO time after which the deployment is cancelled. */
  deadline: string;
  validation: ValidationReport | null;
}

/** One way of reaching approvers. A channel throws when the message did not get through. */
export interface NotificationChannel {
  readonly name: string;
  send(request: ApprovalRequest): Promise<void>;
}

/** Writes the request to the process log (always on: the log is the record of last resort). */
export class LogChannel implements NotificationChannel {
  readonly name = 'log';
  constructor(private readonly log: Logger) {}
  async send(r: ApprovalRequest): Promise<void> {
    this.log.info({ event: 'deployment.approval_needed', ...r, validation: r.validation ? { passed: r.validation.passed } : null }, `deployment ${r.deploymentId} of ${r.modelName} ${r.version} waits for approval until ${r.deadline}`);
  }
}

/**
 * POSTs the request as JSON to a URL (APPROVAL_WEBHOOK_URL: a chat hook, a pager, a mail relay).
 * Sends `Idempotency-Key: approval-needed:<deploymentId>` so a receiver can drop the duplicate a
 * crash between "sent" and "recorded as sent" may cause.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async send(r: ApprovalRequest): Promise<void> {
    const body = {
      type: 'deployment.approval_needed',
      text: `HotSwap: ${r.strategy} deployment of ${r.modelName} ${r.version} to ${r.environment} waits for an Admin's approval (deadline ${r.deadline}).`,
      ...r,
    };
    const res = await this.fetchFn(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `approval-needed:${r.deploymentId}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`approval webhook answered HTTP ${res.status}`);
  }
}

interface NotificationDoc {
  _id: string; // `approval-needed:${deploymentId}`
  deploymentId: string;
  state: 'sending' | 'sent';
  attempts: number;
  createdAt: Date;
  sentAt?: Date;
  channels?: string[];
}

export type NotifyOutcome = 'sent' | 'already-sent';

/**
 * The approval notification hook: sends each deployment's "approval needed" message once.
 * A unique insert in `notifications` claims the message; a retry that finds it `sent` does
 * nothing, and one that finds it still `sending` (the earlier attempt failed or died) sends
 * again. Channels are pluggable: the log always, a webhook when configured.
 */
export class ApprovalNotifier {
  private readonly col: Collection<NotificationDoc>;
  constructor(
    db: Db,
    private readonly channels: readonly NotificationChannel[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.col = db.collection<NotificationDoc>('notifications');
  }

  async approvalNeeded(request: ApprovalRequest): Promise<NotifyOutcome> {
    const _id = `approval-needed:${request.deploymentId}`;
    try {
      await this.col.insertOne({ _id, deploymentId: request.deploymentId, state: 'sending', attempts: 1, createdAt: this.now() });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      const existing = await this.col.findOne({ _id });
      if (existing?.state === 'sent') return 'already-sent';
      await this.col.updateOne({ _id }, { $inc: { attempts: 1 } });
    }
    // Every channel is tried; the first failure is reported after the others had their chance.
    const results = await Promise.allSettled(this.channels.map((c) => c.send(request)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.channels[i].name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`approval notification failed (${failed.join('; ')})`);
    await this.col.updateOne({ _id }, { $set: { state: 'sent', sentAt: this.now(), channels: this.channels.map((c) => c.name) } });
    return 'sent';
  }
}

/** The notifier of a process: the log, plus the webhook when a URL is configured. */
export function createApprovalNotifier(db: Db, log: Logger, webhookUrl?: string): ApprovalNotifier {
  const channels: NotificationChannel[] = [new LogChannel(log)];
  if (webhookUrl) channels.push(new WebhookChannel(webhookUrl));
  return new ApprovalNotifier(db, channels);
}
