import type { Logger } from '../../infra/telemetry/logger';
import { isOutage } from '../../infra/mongo/db-errors';
import type { InsertOutcome, PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import type { SpillStore } from './spill-store';
import type { PredictionLogInstruments } from './instruments';

/** What the writer needs from MongoDB (PredictionLogRepository; a fake in unit tests). */
export interface PredictionStore {
  insertBatch(docs: readonly PredictionDoc[]): Promise<InsertOutcome>;
  ping(): Promise<void>;
}

export interface PredictionLogWriterOptions {
  /** Most entries per write (one segment). */
  batchSize: number;
  /** A partial batch is written after this long. */
  flushMs: number;
  /** Most entries held in memory (queued, being written, or waiting for a spill write). */
  bufferMax: number;
  /** While MongoDB is unreachable, how often to check whether it is back. */
  retryMs: number;
  /** Most entries per write when replaying spill files. */
  replayBatchSize?: number;
}

export interface PredictionLogStats {
  state: 'healthy' | 'degraded';
  /** Entries in memory now, and the most there ever were. */
  inMemory: number;
  highWater: number;
  written: number;
  duplicates: number;
  spilled: number;
  replayed: number;
  dropped: number;
}

type State = PredictionLogStats['state'];

/**
 * Writes prediction-log entries to MongoDB in batches, off the request path.
 *
 * - `enqueue` only appends to an array (never blocks, never throws). A pump writes batches of
 *   `batchSize` (one compressed segment each, PredictionLogRepository) as soon as a batch is
 *   full, or every `flushMs`.
 * - Memory is bounded: queue + in-flight batch + overflow ≤ bufferMax. Beyond it entries go
 *   to the spill file in chunks (written synchronously, so the bound holds).
 * - When a write fails because MongoDB is unreachable, the batch is spilled and the writer
 *   turns `degraded`: everything goes to the spill file while it checks every `retryMs`
 *   whether MongoDB is back. Then it replays the spill files (oldest first, interleaved with
 *   live batches) and deletes each once written. Replays may repeat entries MongoDB already
 *   has (after a write whose outcome was unknown): the same batch again is recognised as a
 *   duplicate segment, and readers return each entry once whatever the batch boundaries.
 * - Entries the store refuses are retried with features/outputs as JSON text; only an entry
 *   refused even then is dropped (counted).
 */
export class PredictionLogWriter {
  private queue: PredictionDoc[] = [];
  private inflight: readonly PredictionDoc[] = [];
  private overflow: PredictionDoc[] = [];
  private readonly reserve: number;
  private readonly queueCapacity: number;
  private overflowScheduled = false;
  private state: State = 'healthy';
  private nextProbeAt = 0;
  private replay: { claimed: string; segment: string; batches: AsyncGenerator<{ docs: PredictionDoc[]; corrupt: number }>; skip: number; consumed: number } | undefined;
  /**
   * Entries of a segment this process already stored before an outage interrupted its replay
   * (by segment name): a segment is given back and read again from its start, and these are
   * skipped, so nothing is written (or counted as replayed) twice.
   */
  private readonly replayProgress = new Map<string, number>();
  private lastRescan = 0;
  private wakeUp: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private closing = false;
  private readonly counts = { written: 0, duplicates: 0, spilled: 0, replayed: 0, dropped: 0, highWater: 0 };
  /** Told of live entries once they are in MongoDB or a spill segment, or dropped (the journal deletes what it no longer needs). */
  onSettled: (docs: readonly PredictionDoc[]) => void = () => {};

  constructor(
    private readonly store: PredictionStore,
    private readonly spill: SpillStore,
    private readonly opts: PredictionLogWriterOptions,
    private readonly log: Logger,
    private readonly instruments: PredictionLogInstruments,
  ) {
    // A slice of the bound is kept for entries waiting to be spilled while the queue is full.
    this.reserve = Math.max(1, Math.min(256, Math.floor(opts.bufferMax / 4)));
    this.queueCapacity = Math.max(1, opts.bufferMax - this.reserve);
  }

  start(): void {
    if (!this.pumping) this.pumping = this.pump();
  }

  get inMemory(): number {
    return this.queue.length + this.inflight.length + this.overflow.length;
  }

  stats(): PredictionLogStats {
    return { state: this.state, inMemory: this.inMemory, ...this.counts };
  }

  /** Hot path: O(1), no I/O unless the buffer is full (then one bounded synchronous file write). */
  enqueue(doc: PredictionDoc): void {
    if (this.closing) {
      this.overflow.push(doc);
      this.spillOverflow();
      return;
    }
    if (this.state === 'healthy' && this.queue.length + this.inflight.length < this.queueCapacity) {
      this.queue.push(doc);
      if (this.queue.length >= this.opts.batchSize) this.wake();
    } else {
      this.overflow.push(doc);
      if (this.overflow.length >= this.reserve) this.spillOverflow();
      else this.scheduleOverflowSpill();
    }
    const n = this.inMemory;
    if (n > this.counts.highWater) this.counts.highWater = n;
  }

  /** Entries still in memory (not yet in MongoDB) matching `pred`: feedback looks here first. */
  findBuffered(pred: (d: PredictionDoc) => boolean): PredictionDoc[] {
    const out: PredictionDoc[] = [];
    for (const list of [this.inflight, this.queue, this.overflow]) for (const d of list) if (pred(d)) out.push(d);
    return out;
  }

  private scheduleOverflowSpill(): void {
    if (this.overflowScheduled) return;
    this.overflowScheduled = true;
    setImmediate(() => {
      this.overflowScheduled = false;
      this.spillOverflow();
    });
  }

  private spillOverflow(): void {
    if (this.overflow.length === 0) return;
    const docs = this.overflow;
    this.overflow = [];
    this.spillDocs(docs, 'overflow');
  }

  private spillDocs(docs: readonly PredictionDoc[], why: string): void {
    if (docs.length === 0) return;
    let written = 0;
    try {
      written = this.spill.append(docs);
    } catch (e) {
      this.log.error({ err: e, entries: docs.length, dir: this.spill.dir }, 'prediction log: spill file write failed; entries lost');
    }
    this.onSettled(docs);
    this.counts.spilled += written;
    this.instruments.spilled.inc(written);
    if (written < docs.length) this.drop(docs.length - written, 'spill_write');
    if (why !== 'overflow') this.log.debug({ entries: written, why }, 'prediction log: spilled');
  }

  private drop(n: number, reason: string): void {
    this.counts.dropped += n;
    this.instruments.dropped.inc({ reason }, n);
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        resolve();
      };
      this.timer = setTimeout(() => this.wake(), ms);
      this.timer.unref();
    });
  }

  private async pump(): Promise<void> {
    while (!this.closing) {
      if (this.queue.length < this.opts.batchSize) await this.sleep(this.state === 'healthy' ? this.opts.flushMs : Math.min(this.opts.flushMs, this.opts.retryMs));
      if (this.closing) break;
      try {
        await this.step();
      } catch (e) {
        this.log.error({ err: e }, 'prediction log: unexpected pump error');
      }
    }
  }

  private async step(): Promise<void> {
    if (this.state === 'degraded') {
      this.spillDocs(this.takeQueue(), 'degraded');
      this.spillOverflow();
      if (Date.now() < this.nextProbeAt) return;
      try {
        await this.store.ping();
        this.state = 'healthy';
        this.spill.recheck();
        this.log.info('prediction log: MongoDB reachable again; replaying spilled entries');
      } catch {
        this.nextProbeAt = Date.now() + this.opts.retryMs;
        return;
      }
    }
    // Live entries first, whole batches while there are some, then one replay chunk (so a
    // steady stream of live entries cannot starve the replay).
    do {
      const batch = this.queue.splice(0, this.opts.batchSize);
      if (batch.length === 0) break;
      if (!(await this.writeLive(batch))) return;
    } while (this.queue.length >= this.opts.batchSize && !this.closing);
    if (!this.closing) await this.replayChunk();
  }

  private takeQueue(): PredictionDoc[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  private enterDegraded(e: unknown): void {
    if (this.state !== 'degraded') this.log.warn({ err: e }, 'prediction log: MongoDB unreachable; spilling to disk');
    this.state = 'degraded';
    this.nextProbeAt = Date.now() + this.opts.retryMs;
  }

  /** Writes one live batch; on an outage spills it and returns false. */
  private async writeLive(batch: PredictionDoc[]): Promise<boolean> {
    this.inflight = batch;
    try {
      await this.insert(batch);
      this.onSettled(batch);
      return true;
    } catch (e) {
      this.spillDocs(batch, 'write failed');
      this.enterDegraded(e);
      return false;
    } finally {
      this.inflight = [];
    }
  }

  /** One write with refusal handling; throws on an outage. Returns inserted + duplicates. */
  private async insert(batch: readonly PredictionDoc[]): Promise<number> {
    let outcome: InsertOutcome;
    try {
      outcome = await this.store.insertBatch(batch);
    } catch (e) {
      if (isOutage(e)) throw e;
      // The server refused the whole request: write one by one to isolate what it refuses.
      if (batch.length === 1) outcome = { inserted: 0, duplicates: 0, rejected: [{ index: 0, message: (e as Error).message }] };
      else {
        let n = 0;
        for (const d of batch) n += await this.insert([d]);
        return n;
      }
    }
    let stored = outcome.inserted + outcome.duplicates;
    for (const r of outcome.rejected) {
      const original = batch[r.index];
      if (original.encoded === 'json') {
        this.log.error({ requestId: original._id, reason: r.message }, 'prediction log: MongoDB refused an entry; dropped');
        this.drop(1, 'refused');
        continue;
      }
      const encoded: PredictionDoc = { ...original, features: safeJson(original.features), outputs: safeJson(original.outputs), encoded: 'json' };
      stored += await this.insert([encoded]);
    }
    this.counts.written += outcome.inserted;
    this.counts.duplicates += outcome.duplicates;
    this.instruments.written.inc(outcome.inserted);
    this.instruments.duplicates.inc(outcome.duplicates);
    return stored;
  }

  /** Replays the next chunk of the oldest spill segment, if any. */
  private async replayChunk(): Promise<void> {
    if (!this.replay) {
      if (!this.spill.hasPending) {
        if (Date.now() - this.lastRescan < 30_000) return;
        this.spill.recheck();
      }
      this.lastRescan = Date.now();
      this.spill.seal();
      for (const file of this.spill.replayable()) {
        const claimed = this.spill.claim(file);
        if (claimed) {
          const segment = claimed.replace(/\.replay-[a-z0-9]+-\d+$/, '');
          const skip = this.replayProgress.get(segment) ?? 0;
          this.replay = { claimed, segment, batches: this.spill.read(claimed, this.opts.replayBatchSize ?? this.opts.batchSize), skip, consumed: skip };
          break;
        }
      }
      if (!this.replay) return;
    }
    const r = this.replay;
    const { claimed, batches } = r;
    let next: IteratorResult<{ docs: PredictionDoc[]; corrupt: number }>;
    try {
      next = await batches.next();
    } catch (e) {
      this.log.error({ err: e, file: claimed }, 'prediction log: cannot read spill file; will retry');
      this.replay = undefined;
      this.replayProgress.set(r.segment, r.consumed);
      this.spill.release(claimed);
      return;
    }
    if (next.done) {
      this.spill.remove(claimed);
      this.replayProgress.delete(r.segment);
      this.replay = undefined;
      return;
    }
    const { docs, corrupt } = next.value;
    const firstRead = r.skip === 0;
    const skipped = Math.min(r.skip, docs.length);
    r.skip -= skipped;
    if (corrupt > 0 && firstRead) {
      this.log.error({ file: claimed, lines: corrupt }, 'prediction log: unreadable lines in spill file (interrupted write); dropped');
      this.drop(corrupt, 'corrupt_spill');
    }
    try {
      const stored = skipped < docs.length ? await this.insert(skipped > 0 ? docs.slice(skipped) : docs) : 0;
      r.consumed += docs.length - skipped;
      this.counts.replayed += stored;
      this.instruments.replayed.inc(stored);
    } catch (e) {
      await batches.return(undefined);
      this.replay = undefined;
      this.replayProgress.set(r.segment, r.consumed);
      this.spill.release(claimed);
      this.enterDegraded(e);
    }
  }

  /**
   * Resolves once everything recorded so far is in MongoDB (including spilled entries when
   * `replay`), or rejects after `timeoutMs`.
   */
  async flush(opts: { replay?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      this.spillOverflow();
      const idle = this.queue.length === 0 && this.inflight.length === 0 && this.overflow.length === 0;
      const replayed = !opts.replay || (this.state === 'healthy' && !this.replay && !this.spill.hasPending);
      if (idle && replayed) return;
      if (Date.now() > deadline) throw new Error(`prediction log flush timed out (${this.inMemory} in memory, state ${this.state})`);
      if (opts.replay && this.state === 'healthy' && !this.replay) this.spill.recheck();
      this.wake();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops the pump and writes what is in memory to MongoDB, or to the spill file when it cannot. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake();
    await this.pumping;
    if (this.replay) {
      await this.replay.batches.return(undefined);
      this.spill.release(this.replay.claimed);
      this.replay = undefined;
    }
    const rest = [...this.takeQueue(), ...this.overflow];
    this.overflow = [];
    while (rest.length > 0 && this.state === 'healthy') {
      const batch = rest.splice(0, this.opts.batchSize);
      try {
        await this.insert(batch);
        this.onSettled(batch);
      } catch (e) {
        this.spillDocs(batch, 'close');
        this.enterDegraded(e);
      }
    }
    this.spillDocs(rest, 'close');
    this.spill.close();
  }
}

function safeJson(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null;
  }
}
