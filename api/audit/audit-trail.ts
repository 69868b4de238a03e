import type { AuditEntry } from '../../domain/audit/audit-chain';
import type { AuditRepository } from '../../infra/mongo/audit-repository';
import type { Logger } from '../../infra/telemetry/logger';

/** Waits between the retries of an append that failed (the first attempt is the caller's). */
const RETRY_DELAYS_MS = [250, 1_000, 5_000, 15_000];

/**
 * The API's side of the audit trail. Policy: a call is recorded after its change was made (the
 * change is never undone for want of an audit record). The first append is awaited, so a caller
 * that got its answer finds the record; if it fails, the answer still goes out and the append is
 * retried in the background; if every retry fails, the whole entry is logged at error level
 * ("audit record not stored"), so nothing is lost silently and it can be appended by hand.
 */
export class AuditTrail {
  private readonly pending = new Set<Promise<void>>();
  constructor(
    readonly repository: AuditRepository,
    private readonly log: Logger,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.repository.append(entry);
    } catch (err) {
      this.log.warn({ err, action: entry.action, requestId: entry.requestId }, 'audit append failed; retrying in the background');
      const retry = this.retry(entry).finally(() => this.pending.delete(retry));
      this.pending.add(retry);
    }
  }

  private async retry(entry: AuditEntry): Promise<void> {
    let last: unknown;
    for (const ms of this.retryDelaysMs) {
      await new Promise((r) => setTimeout(r, ms).unref());
      try {
        await this.repository.append(entry);
        return;
      } catch (err) {
        last = err;
      }
    }
    this.log.error({ err: last, auditEntry: entry }, 'audit record not stored');
  }

  /** Waits for background retries (bounded by their delays); at shutdown. */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
