import { CoalescedTask } from '../../infra/async/coalesced-task';
import type { Logger } from '../../infra/telemetry/logger';
import type { AsyncRequestDoc, AsyncRequestStore } from './async-request-store';

/** Runs one claimed request to an outcome: done (stored), or retry later. */
export type AsyncProcessor = (doc: AsyncRequestDoc) => Promise<{ retry: false } | { retry: true; afterMs: number }>;

/**
 * A bounded pool of in-process workers (ASYNC_WORKERS) over the shared `async_requests`
 * collection: it claims while it has capacity, is woken at once when this replica accepts a
 * request, and otherwise looks every ASYNC_POLL_MS — so several replicas share the work, and
 * requests accepted by a replica that stopped (or died mid-request) are finished by the others.
 * On close, requests this replica holds but has not finished are released back to Pending.
 */
export class AsyncWorkerPool {
  private running = new Map<string, AsyncRequestDoc>();
  /** Claims run one at a time; kicks meanwhile share one more claim round. */
  private readonly claims = new CoalescedTask(() => this.fill());
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deps: {
      store: AsyncRequestStore;
      process: AsyncProcessor;
      log: Logger;
      workerId: string;
      workers: number;
      pollMs: number;
      staleMs: number;
    },
  ) {}

  start(): void {
    if (this.deps.workers === 0) return;
    this.timer = setInterval(() => this.kick(), this.deps.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work now (after accepting a request, or when a worker frees up). */
  kick(): void {
    if (this.stopped || this.deps.workers === 0) return;
    void this.claims.run();
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.running.size < this.deps.workers) {
      let doc: AsyncRequestDoc | null;
      try {
        doc = await this.deps.store.claimNext(this.deps.workerId, this.deps.staleMs);
        this.failures = 0;
      } catch (err) {
        if (this.failures++ % 20 === 0) this.deps.log.warn({ err }, 'gateway: cannot claim async requests');
        return;
      }
      if (!doc || this.stopped) {
        if (doc) await this.deps.store.release(doc, new Date()).catch(() => undefined);
        return;
      }
      this.running.set(doc._id, doc);
      void this.work(doc);
    }
  }

  private async work(doc: AsyncRequestDoc): Promise<void> {
    try {
      const outcome = await this.deps.process(doc);
      if (outcome.retry) await this.deps.store.release(doc, new Date(Date.now() + outcome.afterMs));
    } catch (err) {
      this.deps.log.error({ err, requestId: doc._id }, 'gateway: async request processing failed; it will be retried');
      await this.deps.store.release(doc, new Date(Date.now() + 1000)).catch(() => undefined);
    } finally {
      this.running.delete(doc._id);
      if (this.running.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
      this.kick();
    }
  }

  get active(): number {
    return this.running.size;
  }

  /** Stops claiming; waits up to `graceMs` for running requests, then releases the rest to Pending. */
  async close(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.running.size > 0) {
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    await Promise.all([...this.running.values()].map((d) => this.deps.store.release(d, new Date()).catch(() => undefined)));
  }
}
