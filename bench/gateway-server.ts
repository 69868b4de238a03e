/**
 * The api process as the benchmark runs it: api/main.ts's `launchApi` (the production start-up:
 * config from the environment, OpenTelemetry before node:http loads, then startApi) plus two
 * bench-only switches.
 *
 * BENCH_PREDICTION_LOG=off  the prediction log, its metric buckets and the gateway's
 *                           Prometheus instruments do nothing. startApi has no switch for
 *                           this (it always records into the prediction log), so this process
 *                           replaces, before startApi runs, PredictionRecorder#record with a
 *                           no-op and the GatewayMetrics observers with no-ops. Everything
 *                           else (auth, rate limit, routing, balancing, the recorder's timers)
 *                           is the same code as with the switch on.
 * BENCH_GATEWAY_METRICS=off only the gateway's Prometheus instruments do nothing.
 * BENCH_OTEL=off            OpenTelemetry is not started (api/main.ts always starts it).
 */
import { launchApi } from '../api/main';

function disable(what: { log: boolean; metrics: boolean }): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PredictionRecorder } = require('../api/prediction-log/prediction-recorder') as typeof import('../api/prediction-log/prediction-recorder');
  const { GatewayMetrics } = require('../api/gateway/gateway-metrics') as typeof import('../api/gateway/gateway-metrics');
  /* eslint-enable @typescript-eslint/no-require-imports */
  if (what.log) PredictionRecorder.prototype.record = () => undefined;
  if (what.metrics) {
    GatewayMetrics.prototype.observe = () => undefined;
    GatewayMetrics.prototype.error = () => undefined;
    GatewayMetrics.prototype.coalesced = () => undefined;
  }
}

/**
 * BENCH_LOG_STAGE (experiments, bench/fixed-rate-variants.ts): with the log on, cut it at one
 * stage: `enqueue` (entries are built, never queued), `insert` (segments are encoded, never
 * sent), `buckets` (no metric buckets).
 */
function cutLogAt(stage: string): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PredictionLogWriter } = require('../api/prediction-log/prediction-log-writer') as typeof import('../api/prediction-log/prediction-log-writer');
  const { PredictionLogRepository } = require('../infra/mongo/prediction-log-repository') as typeof import('../infra/mongo/prediction-log-repository');
  const { encodeSegment } = require('../infra/mongo/prediction-segment-codec') as typeof import('../infra/mongo/prediction-segment-codec');
  const { MetricAggregator } = require('../api/prediction-log/metric-aggregator') as typeof import('../api/prediction-log/metric-aggregator');
  /* eslint-enable @typescript-eslint/no-require-imports */
  if (stage === 'enqueue') PredictionLogWriter.prototype.enqueue = () => undefined;
  else if (stage === 'insert')
    PredictionLogRepository.prototype.insertBatch = (docs) => {
      encodeSegment(docs);
      return Promise.resolve({ inserted: docs.length, duplicates: 0, rejected: [] });
    };
  else if (stage === 'buckets') MetricAggregator.prototype.observe = () => undefined;
  else throw new Error(`unknown BENCH_LOG_STAGE ${stage}`);
}

const recording = process.env.BENCH_PREDICTION_LOG !== 'off';
const logStage = process.env.BENCH_LOG_STAGE;
/** BENCH_GATEWAY_METRICS=off: only the Prometheus instruments off (for telling the two costs apart). */
const promMetrics = recording && process.env.BENCH_GATEWAY_METRICS !== 'off';
const otel = process.env.BENCH_OTEL !== 'off';
void launchApi({
  telemetry: otel,
  beforeStart: () => {
    if (!recording || !promMetrics) disable({ log: !recording, metrics: !promMetrics });
    if (recording && logStage) cutLogAt(logStage);
  },
  describe: { bench: true, predictionLog: recording, otel },
});
