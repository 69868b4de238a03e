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
import { FeedbackService } from './feedback-service';
import { MetricsService } from './metrics-service';
import { PredictionRecorder, recorderOptionsFrom, teeSinks } from './prediction-recorder';

export { PredictionRecorder, recorderOptionsFrom, teeSinks } from './prediction-recorder';
export type { PredictionRecorderOptions, PredictionRecorderDeps } from './prediction-recorder';
export { FeedbackService } from './feedback-service';
export { MetricsService } from './metrics-service';
export { readMetricWindow, type MetricWindow, type MetricWindowQuery } from '../../infra/mongo/metric-bucket-repository';

export interface PredictionLogModule {
  /** The gateway's sink (prediction log + metric buckets). */
  recorder: PredictionRecorder;
  feedback: FeedbackService;
  metrics: MetricsService;
  /** Express feature routes: POST /inference/{model}/feedback and GET /models/{id}/metrics. */
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
  });
  const metrics = new MetricsService({ models, versions, buckets: recorder.buckets, maxWindowDays: config.METRICS_MAX_WINDOW_DAYS });
  return {
    recorder,
    feedback,
    metrics,
    routes: [feedbackRoutes(feedback, config.FEEDBACK_MAX_ITEMS), metricsRoutes(metrics)],
    sinkWith: (extra) => (extra ? teeSinks(recorder, extra) : recorder),
    close: () => recorder.close(),
  };
}
