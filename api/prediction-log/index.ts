/**
 * The prediction log, metric buckets, ground truth and metrics API of an api process.
 *
 * - PredictionRecorder is the gateway's PredictionSink. `record(r)` costs a few array/map
 *   operations, never blocks and never throws. Entries are written to `prediction_log`, one
 *   compressed segment per batch (infra/mongo/prediction-log-repository.ts), every
 *   PREDICTION_LOG_FLUSH_MS or PREDICTION_LOG_BATCH_SIZE entries. At most
 *   PREDICTION_LOG_BUFFER_MAX entries are in memory; beyond that, and whenever MongoDB is
 *   unreachable, entries go to append-only NDJSON files under PREDICTION_SPILL_DIR/<db>/ and are
 *   replayed when MongoDB is back (or by the next process). `close()` flushes (or spills).
 * - Write-ahead journal (journal.ts): the gateway records and commits each prediction before it
 *   answers (one write(2) per request into PREDICTION_SPILL_DIR/<db>/), so a SIGKILLed api loses
 *   nothing it answered: the next process replays a dead process's journal segments.
 * - Metric buckets: counts, errors (client/server), latency sum/sum²/min/max and a fixed-bucket
 *   histogram (domain/metrics/histogram.ts), ground-truth sums and shadow agreement per
 *   (model, environment, version, role) at 10 s, 5 min and 1 h resolution, flushed every
 *   METRICS_FLUSH_MS with $inc upserts into documents owned by this process (writer id), so
 *   replicas add up even where concurrent $inc on one document is not atomic (FerretDB).
 * - Feedback (POST /api/v1/inference/{model}/feedback): see FeedbackService.
 * - Metrics API (GET /api/v1/models/{id}/metrics) and readMetricWindow(db, query) for the
 *   deployment analysis: see MetricsService and infra/mongo/metric-bucket-repository.ts.
 * - Reads of the log (GET /api/v1/models/{id}/predictions[/{requestId}]): PredictionReadService.
 * - Retention: a TTL index on prediction_log.to where the server supports it, and a sweep every
 *   RETENTION_SWEEP_MS deleting predictions/feedback older than PREDICTION_RETENTION_DAYS and
 *   buckets older than METRIC_BUCKET_RETENTION_DAYS.
 */
import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import type { ApiConfig } from '../../infra/config/schemas';
import { ModelRepository } from '../../infra/mongo/model-repository';
import { VersionRepository } from '../../infra/mongo/version-repository';
import type { Logger } from '../../infra/telemetry/logger';
import type { FeatureRoutes } from '../app';
import type { PredictionSink } from '../gateway/prediction-sink';
import { feedbackRoutes } from '../routes/feedback-routes';
import { metricsRoutes } from '../routes/metrics-routes';
import { predictionLogRoutes } from '../routes/prediction-log-routes';
import { FeedbackService } from './feedback-service';
import { MetricsService } from './metrics-service';
import { PredictionReadService } from './prediction-read-service';
import { PredictionRecorder, recorderOptionsFrom, teeSinks } from './prediction-recorder';

export { PredictionRecorder, recorderOptionsFrom, teeSinks } from './prediction-recorder';
export type { PredictionRecorderOptions, PredictionRecorderDeps } from './prediction-recorder';
export { FeedbackService } from './feedback-service';
export { MetricsService } from './metrics-service';
export { readMetricWindow, type MetricWindow, type MetricWindowQuery } from '../../infra/mongo/metric-bucket-repository';

/** A feedback submission slower than this logs where its time went. */
const SLOW_FEEDBACK_MS = 1000;

export interface PredictionLogModule {
  /** The gateway's sink (prediction log + metric buckets). */
  recorder: PredictionRecorder;
  feedback: FeedbackService;
  metrics: MetricsService;
  /** Express feature routes: POST /inference/{model}/feedback, GET /models/{id}/metrics and GET /models/{id}/predictions[/{requestId}]. */
  routes: FeatureRoutes[];
  /** The sink to give the gateway: the recorder, plus `extra` when given. */
  sinkWith(extra?: PredictionSink): PredictionSink;
  close(): Promise<void>;
}

/** Builds the prediction log, feedback and metrics API of an api process. */
export async function startPredictionLog(deps: { config: ApiConfig; db: Db; log: Logger; registry?: Registry }): Promise<PredictionLogModule> {
  const { config, db, log } = deps;
  const recorder = await PredictionRecorder.create({ db, options: recorderOptionsFrom(config), log, ...(deps.registry && { registry: deps.registry }) });
  const models = new ModelRepository(db);
  const versions = new VersionRepository(db);
  const feedback = new FeedbackService({
    models,
    versions,
    predictions: recorder.predictions,
    feedback: recorder.feedback,
    applyDeltas: (deltas, opts) => recorder.aggregator.applyNow(deltas, opts),
    findBuffered: (ids) => recorder.findBuffered(ids),
    missingRetryMs: 3 * config.PREDICTION_LOG_FLUSH_MS + 100,
    onTimings: (timings, items) => {
      const total = Object.values(timings).reduce((a, b) => a + b, 0);
      if (total >= SLOW_FEEDBACK_MS) log.warn({ items, totalMs: total, steps: timings }, 'feedback: slow submission');
    },
  });
  const metrics = new MetricsService({ models, versions, buckets: recorder.buckets, maxWindowDays: config.METRICS_MAX_WINDOW_DAYS });
  const reads = new PredictionReadService({ models, versions, predictions: recorder.predictions, findBuffered: (ids) => recorder.findBuffered(ids), maxWindowDays: config.METRICS_MAX_WINDOW_DAYS });
  return {
    recorder,
    feedback,
    metrics,
    routes: [feedbackRoutes(feedback, config.FEEDBACK_MAX_ITEMS), metricsRoutes(metrics), predictionLogRoutes(reads)],
    sinkWith: (extra) => (extra ? teeSinks(recorder, extra) : recorder),
    close: () => recorder.close(),
  };
}
