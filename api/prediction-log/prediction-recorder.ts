import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { predictedLabel, sameLabel, type SeriesKey } from '../../domain/metrics';
import type { ApiConfig } from '../../infra/config/schemas';
import { FeedbackRepository } from '../../infra/mongo/feedback-repository';
import { MetricBucketRepository } from '../../infra/mongo/metric-bucket-repository';
import { PredictionLogRepository, type PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import type { Logger } from '../../infra/telemetry/logger';
import type { PredictionRecord, PredictionSink } from '../gateway/prediction-sink';
import { createPredictionLogInstruments, type PredictionLogInstruments } from './instruments';
import { MetricAggregator } from './metric-aggregator';
import { PredictionJournal } from './journal';
import { PredictionLogWriter, type PredictionLogStats } from './prediction-log-writer';
import { SpillStore } from './spill-store';

export interface PredictionRecorderOptions {
  batchSize: number;
  flushMs: number;
  bufferMax: number;
  retryMs: number;
  /** Spill files go to <spillDir>/<database name>/. */
  spillDir: string;
  /** The write-ahead journal (default on). */
  journal?: boolean;
  metricsFlushMs: number;
  retentionDays: number;
  bucketRetentionDays: number;
  sweepMs: number;
  /** Most metric-bucket increments kept while MongoDB is unreachable. */
  maxPendingBucketDeltas?: number;
}

export function recorderOptionsFrom(config: ApiConfig): PredictionRecorderOptions {
  return {
    batchSize: config.PREDICTION_LOG_BATCH_SIZE,
    flushMs: config.PREDICTION_LOG_FLUSH_MS,
    bufferMax: config.PREDICTION_LOG_BUFFER_MAX,
    retryMs: config.PREDICTION_SPILL_RETRY_MS,
    spillDir: config.PREDICTION_SPILL_DIR,
    journal: config.PREDICTION_JOURNAL === 'on',
    metricsFlushMs: config.METRICS_FLUSH_MS,
    retentionDays: config.PREDICTION_RETENTION_DAYS,
    bucketRetentionDays: config.METRIC_BUCKET_RETENTION_DAYS,
    sweepMs: config.RETENTION_SWEEP_MS,
  };
}

export interface PredictionRecorderDeps {
  db: Db;
  options: PredictionRecorderOptions;
  log: Logger;
  /** The process's Prometheus registry (a private one when absent). */
  registry?: Registry;
}

const DAY_MS = 86_400_000;

/**
 * The gateway's prediction sink: every record goes to the prediction log (batched, spilled to
 * disk while MongoDB is unreachable) and to the metric buckets (aggregated in memory, flushed
 * every second). `record` costs a few map and array operations and never throws.
 */
export class PredictionRecorder implements PredictionSink {
  readonly predictions: PredictionLogRepository;
  readonly buckets: MetricBucketRepository;
  readonly feedback: FeedbackRepository;
  readonly writer: PredictionLogWriter;
  readonly aggregator: MetricAggregator;
  readonly instruments: PredictionLogInstruments;
  readonly spill: SpillStore;
  /** Absent when PREDICTION_JOURNAL=off. */
  readonly journal: PredictionJournal | undefined;
  /** Whether MongoDB enforces the TTL index (false on FerretDB: the sweep deletes). */
  ttlEnforced = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastRecordError = 0;
  private lastJournalError = 0;

  private constructor(private readonly deps: PredictionRecorderDeps) {
    const { db, options, log } = deps;
    this.predictions = new PredictionLogRepository(db);
    this.buckets = new MetricBucketRepository(db);
    this.feedback = new FeedbackRepository(db);
    const dir = path.join(options.spillDir, db.databaseName);
    const instanceId = randomBytes(4).toString('hex');
    this.spill = new SpillStore({ dir, instanceId });
    this.journal = options.journal === false ? undefined : new PredictionJournal({ dir, instanceId: `${instanceId}j`, onError: (e) => this.journalFailed(e) });
    this.instruments = createPredictionLogInstruments(deps.registry, {
      queueDepth: () => this.writer.inMemory,
      spillSegments: () => this.spill.countSegments(),
      pendingBucketDeltas: () => this.aggregator.pendingDeltas(),
    });
    this.writer = new PredictionLogWriter(
      this.predictions,
      this.spill,
      { batchSize: options.batchSize, flushMs: options.flushMs, bufferMax: options.bufferMax, retryMs: options.retryMs },
      log,
      this.instruments,
    );
    const journal = this.journal;
    if (journal) this.writer.onSettled = (docs) => journal.settle(docs);
    this.aggregator = new MetricAggregator(this.buckets, { flushMs: options.metricsFlushMs, maxPendingDeltas: options.maxPendingBucketDeltas ?? 200_000 }, log, this.instruments);
  }

  /** Creates the indexes, then starts writing (spill files left by an earlier run are replayed). */
  static async create(deps: PredictionRecorderDeps): Promise<PredictionRecorder> {
    const r = new PredictionRecorder(deps);
    const [{ ttl }] = await Promise.all([r.predictions.ensureIndexes(deps.options.retentionDays), r.buckets.ensureIndexes(), r.feedback.ensureIndexes()]);
    r.ttlEnforced = ttl;
    r.writer.start();
    r.aggregator.start();
    const sweep = () => {
      r.sweepRetention().catch((e: unknown) => deps.log.warn({ err: e }, 'retention sweep failed'));
    };
    r.sweepTimer = setTimeout(function again() {
      sweep();
      r.sweepTimer = setTimeout(again, deps.options.sweepMs).unref();
    }, Math.min(60_000, deps.options.sweepMs)).unref();
    return r;
  }

  record(r: PredictionRecord): void {
    try {
      if (this.closed) throw new Error('recorder is closed');
      const doc = toDoc(r);
      this.journalAppend(doc);
      this.writer.enqueue(doc);
      // Shadow agreement: the mirror hands the primary's outputs along with the shadow's.
      let agreed: boolean | undefined;
      if (doc.role === 'shadow' && doc.status === 'Completed') {
        const primary = predictedLabel(r.primaryOutputs);
        const own = predictedLabel(doc.outputs);
        if (primary !== undefined && own !== undefined) agreed = sameLabel(primary, own);
      }
      const key: SeriesKey = { modelId: doc.modelId, modelName: doc.modelName, environment: doc.environment, version: doc.version, versionId: doc.versionId, role: doc.role };
      this.aggregator.observe(key, doc.time.getTime(), { status: doc.status, errorCode: doc.errorCode, latencyMs: doc.latencyMs, cached: doc.cached }, agreed);
    } catch (e) {
      this.instruments.dropped.inc({ reason: 'invalid' });
      if (Date.now() - this.lastRecordError > 10_000) {
        this.lastRecordError = Date.now();
        this.deps.log.error({ err: e, requestId: (r as { requestId?: unknown } | undefined)?.requestId }, 'prediction log: record refused');
      }
    }
  }

  /** Write-ahead: the entry goes to the journal, on disk at the next `commit` (a failing disk is logged, the entry still goes to the log). */
  private journalAppend(doc: PredictionDoc): void {
    try {
      this.journal?.append(doc);
    } catch (e) {
      this.journalFailed(e);
    }
  }

  /** Puts what was recorded so far on disk (the journal): the gateway calls it before it answers. */
  commit(): void {
    try {
      this.journal?.commit();
    } catch (e) {
      this.journalFailed(e);
    }
  }

  private journalFailed(e: unknown): void {
    this.instruments.journalErrors.inc();
    if (Date.now() - this.lastJournalError > 10_000) {
      this.lastJournalError = Date.now();
      this.deps.log.error({ err: e, dir: this.spill.dir }, 'prediction log: journal write failed; a crash now would lose buffered entries');
    }
  }

  /** Predictions still in this process's memory: by request id, and shadows of those primaries. */
  findBuffered(requestIds: ReadonlySet<string>): PredictionDoc[] {
    return this.writer.findBuffered((d) => requestIds.has(d._id) || (d.primaryRequestId !== undefined && requestIds.has(d.primaryRequestId)));
  }

  /** Writes everything recorded so far: prediction log (and, with `replay`, spilled entries) and buckets. */
  async flush(opts: { replay?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.writer.flush(opts);
    await this.aggregator.flush();
  }

  /** Deletes predictions and feedback older than the retention, and old metric buckets. */
  async sweepRetention(now = new Date()): Promise<{ predictions: number; feedback: number; buckets: number }> {
    const { retentionDays, bucketRetentionDays } = this.deps.options;
    const before = new Date(now.getTime() - retentionDays * DAY_MS);
    const [predictions, feedback, buckets] = await Promise.all([
      this.predictions.deleteOlderThan(before),
      this.feedback.deleteOlderThan(before),
      this.buckets.deleteOlderThan(new Date(now.getTime() - bucketRetentionDays * DAY_MS)),
    ]);
    if (predictions + feedback + buckets > 0) this.deps.log.info({ predictions, feedback, buckets }, 'retention sweep');
    return { predictions, feedback, buckets };
  }

  stats(): PredictionLogStats & { pendingBucketDeltas: number } {
    return { ...this.writer.stats(), pendingBucketDeltas: this.aggregator.pendingDeltas() };
  }

  /** Flushes what is in memory (to MongoDB, else to the spill file) and stops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    await this.writer.close();
    this.journal?.close();
    await this.aggregator.close();
  }
}

function toDoc(r: PredictionRecord): PredictionDoc {
  if (typeof r.requestId !== 'string' || r.requestId.length === 0) throw new Error('record without a requestId');
  const time = r.time instanceof Date && !Number.isNaN(r.time.getTime()) ? r.time : new Date();
  const doc: PredictionDoc = {
    _id: r.requestId,
    requestId: r.requestId,
    time,
    modelId: r.modelId,
    modelName: r.modelName,
    version: r.version,
    versionId: r.versionId,
    environment: r.environment,
    role: r.role,
    features: r.features ?? null,
    outputs: r.outputs ?? null,
    latencyMs: Number.isFinite(r.latencyMs) ? r.latencyMs : null,
    status: r.status,
    cached: r.cached === true,
  };
  if (r.errorCode !== undefined) doc.errorCode = r.errorCode;
  if (r.traceId !== undefined) doc.traceId = r.traceId;
  if (r.serverId !== undefined) doc.serverId = r.serverId;
  if (r.primaryRequestId !== undefined) doc.primaryRequestId = r.primaryRequestId;
  return doc;
}

/** A sink that hands each record to several sinks (the prediction log and, e.g., a test probe). */
export function teeSinks(...sinks: PredictionSink[]): PredictionSink {
  return {
    record(r) {
      for (const s of sinks) {
        try {
          s.record(r);
        } catch {
          /* a sink never breaks the others */
        }
      }
    },
    commit() {
      for (const s of sinks) s.commit?.();
    },
  };
}
