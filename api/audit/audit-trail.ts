import type { AuditEntry } from '../../domain/audit/audit-chain';
import type { AuditRepository } from '../../infra/mongo/audit-repository';
import type { Logger } from '../../infra/telemetry/logger';

/** Waits between the retries of an append that failed (the first attempt is the caller's). */
const RETRY_DELAYS_MS = [250, 1_000, 5_000, 15_000];
/** How long an answer waits for the first append attempt (a database that does not answer must not hold up the API). */
const FIRST_ATTEMPT_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * The API's side of the audit trail. Policy: a call is recorded after its change was made (the
 * change is never undone for want of an audit record). The answer waits for the first append
 * attempt (up to FIRST_ATTEMPT_MS), so a caller that got its answer normally finds the record;
 * if the attempt fails or is slow, the answer goes out anyway and the append goes on (retried)
 * in the background; if every retry fails, the whole entry is logged at error level ("audit
 * record not stored"), so nothing is lost silently and it can be appended by hand.
 */
export class AuditTrail {
  private readonly pending = new Set<Promise<void>>();
  private readonly retryDelaysMs: readonly number[];
  private readonly firstAttemptMs: number;
  constructor(
    readonly repository: Pick<AuditRepository, 'append'>,
    private readonly log: Logger,
    opts: { retryDelaysMs?: readonly number[]; firstAttemptMs?: number } = {},
  ) {
    this.retryDelaysMs = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.firstAttemptMs = opts.firstAttemptMs ?? FIRST_ATTEMPT_MS;
  }

  async record(entry: AuditEntry): Promise<void> {
    const first = this.repository.append(entry).then(
      () => true,
      (err: unknown) => {
        this.log.warn({ err, action: entry.action, requestId: entry.requestId }, 'audit append failed; retrying in the background');
        return false;
      },
    );
    const done: Promise<void> = first.then((ok) => (ok ? undefined : this.retry(entry))).finally(() => this.pending.delete(done));
    this.pending.add(done);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((r) => (timer = setTimeout(r, this.firstAttemptMs)))]);
    clearTimeout(timer);
  }

  private async retry(entry: AuditEntry): Promise<void> {
    let last: unknown;
    for (const ms of this.retryDelaysMs) {
      await sleep(ms);
      try {
        await this.repository.append(entry);
        return;
      } catch (err) {
        last = err;
      }
    }
    this.log.error({ err: last, auditEntry: entry }, 'audit record not stored');
  }

  /** Waits for appends still under way (bounded by their retries); at shutdown. */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
