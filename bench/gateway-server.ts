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
 * BENCH_OTEL=off            OpenTelemetry is not started (api/main.ts always starts it).
 */
import { launchApi } from '../api/main';

function disablePredictionLogAndMetrics(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PredictionRecorder } = require('../api/prediction-log/prediction-recorder') as typeof import('../api/prediction-log/prediction-recorder');
  const { GatewayMetrics } = require('../api/gateway/gateway-metrics') as typeof import('../api/gateway/gateway-metrics');
  /* eslint-enable @typescript-eslint/no-require-imports */
  PredictionRecorder.prototype.record = () => undefined;
  GatewayMetrics.prototype.observe = () => undefined;
  GatewayMetrics.prototype.error = () => undefined;
  GatewayMetrics.prototype.coalesced = () => undefined;
}

const recording = process.env.BENCH_PREDICTION_LOG !== 'off';
const otel = process.env.BENCH_OTEL !== 'off';
void launchApi({
  telemetry: otel,
  beforeStart: recording ? undefined : disablePredictionLogAndMetrics,
  describe: { bench: true, predictionLog: recording, otel },
});
