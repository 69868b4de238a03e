import { randomBytes } from 'node:crypto';
import {
  BUCKET_RESOLUTIONS_S,
  FINEST_RESOLUTION_S,
  bucketStartMs,
  emptyCounters,
  mergeCounters,
  observePrediction,
  observeShadowAgreement,
  seriesId,
  type BucketCounters,
  type PredictionObservation,
  type SeriesKey,
} from '../../domain/metrics';
import type { ApplyOptions, ApplyOutcome, BucketDelta } from '../../infra/mongo/metric-bucket-repository';
import type { Logger } from '../../infra/telemetry/logger';
import type { PredictionLogInstruments } from './instruments';

/** What the aggregator needs from MongoDB (MetricBucketRepository; a fake in unit tests). */
export interface BucketStore {
  apply(deltas: readonly BucketDelta[], opts: ApplyOptions): Promise<ApplyOutcome>;
}

export interface MetricAggregatorOptions {
  /** How often buckets are flushed. */
  flushMs: number;
  /** Most bucket increments kept for retry while MongoDB is unreachable; older ones are dropped (counted). */
  maxPendingDeltas: number;
}

interface Entry {
  key: SeriesKey;
  startMs: number;
  counters: BucketCounters;
}

interface PendingFlush {
  flushId: string;
  deltas: BucketDelta[];
  /** A write was attempted and its outcome is unknown: the retry is guarded by the flush id. */
  attempted: boolean;
}

/**
 * Aggregates predictions in memory per (series, 10-second bucket) and flushes them every
 * `flushMs` as `$inc` upserts, expanded to every bucket resolution, into this aggregator's own
 * bucket documents (writer id), one write at a time. A flush that fails is kept (bounded) and
 * retried with the same flush id, guarded so that it is applied exactly once. Other increments
 * of this process (ground truth) go through the same serial writer (`applyNow`).
 */
export class MetricAggregator {
  private current = new Map<string, Entry>();
  private pending: PendingFlush[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private running = 0;
  private seq = 0;
  /** This aggregator's writer id: the only writer of its bucket documents. */
  readonly writer = randomBytes(4).toString('hex');
  private lastFailureLog = 0;

  constructor(
    private readonly store: BucketStore,
    private readonly opts: MetricAggregatorOptions,
    private readonly log: Logger,
    private readonly instruments: PredictionLogInstruments,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A slow MongoDB must not stack up flushes: skip the tick while one is running.
      if (this.running === 0) this.flush().catch(() => undefined);
    }, this.opts.flushMs);
    this.timer.unref();
  }

  /** Hot path: one map lookup and a few additions. */
  observe(key: SeriesKey, timeMs: number, o: PredictionObservation, shadowAgreed?: boolean): void {
    const startMs = bucketStartMs(timeMs, FINEST_RESOLUTION_S);
    const id = `${seriesId(key)}|${startMs}`;
    let e = this.current.get(id);
    if (!e) {
      e = { key, startMs, counters: emptyCounters() };
      this.current.set(id, e);
    }
    observePrediction(e.counters, o);
    if (shadowAgreed !== undefined) observeShadowAgreement(e.counters, shadowAgreed);
  }

  /** Increments waiting to be written (in memory and in failed flushes). */
  pendingDeltas(): number {
    let n = this.current.size;
    for (const p of this.pending) n += p.deltas.length;
    return n;
  }

  /** Takes the in-memory buckets and expands them to every resolution. */
  private drain(): BucketDelta[] {
    if (this.current.size === 0) return [];
    const entries = this.current;
    this.current = new Map();
    const out = new Map<string, BucketDelta>();
    for (const e of entries.values()) {
      for (const resolutionS of BUCKET_RESOLUTIONS_S) {
        const delta: BucketDelta = { key: e.key, resolutionS, bucketStartMs: bucketStartMs(e.startMs, resolutionS), counters: e.counters };
        const id = `${delta.resolutionS}|${seriesId(delta.key)}|${delta.bucketStartMs}`;
        const existing = out.get(id);
        if (!existing) out.set(id, { ...delta, counters: copy(e.counters) });
        else mergeCounters(existing.counters, e.counters);
      }
    }
    return [...out.values()];
  }

  /**
   * Applies other increments (ground truth) right away, serialised with the flushes; rejects
   * when MongoDB fails (a retry passes the same flush id with guarded = true).
   */
  applyNow(deltas: readonly BucketDelta[], opts: { flushId: string; guarded: boolean }): Promise<ApplyOutcome> {
    this.running++;
    const run = this.chain.then(() => this.store.apply(deltas, { ...opts, writer: this.writer })).finally(() => this.running--);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Writes everything aggregated so far (and earlier failed flushes). Rejects when MongoDB fails. */
  flush(): Promise<void> {
    this.running++;
    const run = this.chain.then(() => this.flushOnce()).finally(() => this.running--);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<void> {
    const fresh = this.drain();
    if (fresh.length > 0) this.pending.push({ flushId: `${this.writer}${(this.seq++).toString(36)}`, deltas: fresh, attempted: false });
    try {
      while (this.pending.length > 0) {
        const batch = this.pending[0];
        try {
          const out = await this.store.apply(batch.deltas, { flushId: batch.flushId, guarded: batch.attempted, writer: this.writer });
          if (out.rejected > 0) {
            this.instruments.bucketDeltasDropped.inc(out.rejected);
            this.log.error({ rejected: out.rejected }, 'metric buckets: MongoDB refused increments; dropped');
          }
          this.pending.shift();
        } catch (e) {
          batch.attempted = true;
          this.instruments.bucketFlushFailures.inc();
          if (Date.now() - this.lastFailureLog > 10_000) {
            this.lastFailureLog = Date.now();
            this.log.warn({ err: e, pending: this.pendingDeltas() }, 'metric buckets: flush failed; will retry');
          }
          throw e;
        }
      }
    } finally {
      this.enforceBound();
    }
  }

  private enforceBound(): void {
    let total = 0;
    for (const p of this.pending) total += p.deltas.length;
    while (total > this.opts.maxPendingDeltas && this.pending.length > 1) {
      const dropped = this.pending.shift()!;
      total -= dropped.deltas.length;
      this.instruments.bucketDeltasDropped.inc(dropped.deltas.length);
      this.log.error({ deltas: dropped.deltas.length }, 'metric buckets: too many increments waiting for MongoDB; oldest dropped');
    }
  }

  /** Stops the timer and makes a last flush attempt. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } catch {
      this.log.error({ deltas: this.pendingDeltas() }, 'metric buckets: MongoDB unreachable at shutdown; increments lost');
      this.instruments.bucketDeltasDropped.inc(this.pendingDeltas());
    }
  }
}

function copy(c: BucketCounters): BucketCounters {
  const out = emptyCounters();
  mergeCounters(out, c);
  return out;
}
