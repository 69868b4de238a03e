/**
 * Dynamic batching for one model version: requests (each of one or more rows) queue up and
 * run together as one tensor run of at most `maxBatchSize` rows.
 *
 * With `maxQueueDelayMicros` = 0 no delay is added: a request arriving while the version is
 * idle runs at the end of the current event-loop turn (together with whatever arrived in the
 * same turn), and requests arriving while a run executes form the next batch. With a delay > 0
 * the first queued request waits up to that long for company, unless the batch fills first.
 * Only one run per version is in progress at a time: onnxruntime-node runs on the JS thread
 * anyway, so concurrency would buy nothing but memory.
 */
export interface BatcherOptions {
  maxBatchSize: number;
  maxQueueDelayMicros: number;
}

export interface BatchObserver {
  /** Called as a batch starts: its total rows and each request's queueing time in seconds. */
  onBatch?(rows: number, queueSeconds: readonly number[]): void;
}

/** Runs one batch; must return one result per item, in order. */
export type BatchRunner<I, O> = (items: readonly I[], rows: number) => Promise<readonly O[]>;

interface Entry<I, O> {
  item: I;
  rows: number;
  enqueuedAt: number;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

const nowSeconds = (): number => performance.now() / 1000;

export class Batcher<I, O> {
  private queue: Entry<I, O>[] = [];
  private queuedRows = 0;
  private running: Promise<void> | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closedWith: Error | null = null;

  constructor(
    private readonly runner: BatchRunner<I, O>,
    private readonly rowsOf: (item: I) => number,
    private readonly opts: BatcherOptions,
    private readonly observer: BatchObserver = {},
    private readonly now: () => number = nowSeconds,
  ) {
    if (!(opts.maxBatchSize >= 1)) throw new RangeError('maxBatchSize must be at least 1');
    if (!(opts.maxQueueDelayMicros >= 0)) throw new RangeError('maxQueueDelayMicros must be >= 0');
  }

  /** Requests waiting for a run (not counting the run in progress). */
  get queued(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  submit(item: I): Promise<O> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    return new Promise<O>((resolve, reject) => {
      const rows = this.rowsOf(item);
      this.queue.push({ item, rows, enqueuedAt: this.now(), resolve, reject });
      this.queuedRows += rows;
      if (this.running === null) this.schedule();
    });
  }

  /**
   * Refuses new work and fails queued requests with `error`; resolves once the run in
   * progress (if any) has finished, so the session behind the runner can be released safely.
   */
  async close(error: Error): Promise<void> {
    this.closedWith = error;
    this.clearSchedule();
    const pending = this.queue;
    this.queue = [];
    this.queuedRows = 0;
    for (const e of pending) e.reject(error);
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.queuedRows >= this.opts.maxBatchSize) {
      this.clearSchedule();
      this.dispatch();
      return;
    }
    const delayMicros = this.opts.maxQueueDelayMicros;
    if (delayMicros === 0) {
      this.immediate ??= setImmediate(this.onTick);
      return;
    }
    if (this.timer) return;
    const waited = (this.now() - this.queue[0].enqueuedAt) * 1e6;
    const remainingMs = Math.max(0, (delayMicros - waited) / 1000);
    if (remainingMs === 0) this.dispatch();
    else this.timer = setTimeout(this.onTick, remainingMs);
  }

  private readonly onTick = (): void => {
    this.clearSchedule();
    if (this.running === null && this.queue.length > 0) this.dispatch();
  };

  private clearSchedule(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
  }

  /** Takes entries from the head up to maxBatchSize rows (always at least one) and runs them. */
  private dispatch(): void {
    const max = this.opts.maxBatchSize;
    let take = 0;
    let rows = 0;
    while (take < this.queue.length) {
      const r = this.queue[take].rows;
      if (take > 0 && rows + r > max) break;
      rows += r;
      take++;
      if (rows >= max) break;
    }
    const batch = this.queue.splice(0, take);
    this.queuedRows -= rows;
    const start = this.now();
    if (this.observer.onBatch) this.observer.onBatch(rows, batch.map((e) => start - e.enqueuedAt));
    const items = batch.map((e) => e.item);
    this.running = this.execute(batch, items, rows);
  }

  private async execute(batch: Entry<I, O>[], items: I[], rows: number): Promise<void> {
    // Yield once so `this.running` is assigned before a synchronously failing runner reaches `finally`.
    await Promise.resolve();
    try {
      const results = await this.runner(items, rows);
      if (results.length !== batch.length) throw new Error(`batch runner returned ${results.length} results for ${batch.length} requests`);
      for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
    } catch (e) {
      for (const entry of batch) entry.reject(e);
    } finally {
      this.running = null;
      // Whatever queued during the run is the next batch: it already waited, so no further delay.
      if (this.queue.length > 0 && this.closedWith === null) {
        if (this.opts.maxQueueDelayMicros === 0) this.dispatch();
        else this.schedule();
      }
    }
  }
}
