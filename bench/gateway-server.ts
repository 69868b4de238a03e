/**
 * The api process as the benchmark runs it: api/main.ts (config from the environment,
 * OpenTelemetry started before node:http loads, then startApi) plus two bench-only switches.
 * Keep it in step with api/main.ts: the "full gateway path" row is only honest while it is.
 *
 * BENCH_PREDICTION_LOG=off  the prediction log, its metric buckets and the gateway's
 *                           Prometheus instruments do nothing. startApi has no switch for
 *                           this (it always records into the prediction log), so this process
 *                           replaces, before startApi runs, PredictionRecorder#record with a
 *                           no-op and the GatewayMetrics observers with no-ops. Everything
 *                           else (auth, rate limit, routing, balancing, the recorder's timers)
 *                           is the same code as with the switch on.
 * BENCH_OTEL=off            skip startTelemetry (api/main.ts always starts it; with no OTLP
 *                           endpoint it still instruments node:http to mint trace ids).
 */
import { loadConfigOrExit } from '../infra/config/load';
import { apiConfigSchema } from '../infra/config/schemas';
import { startTelemetry, stopTelemetry } from '../infra/telemetry/tracing';
import { createLogger } from '../infra/telemetry/logger';

const config = loadConfigOrExit(apiConfigSchema);
const otel = process.env.BENCH_OTEL !== 'off';
if (otel) startTelemetry('hotswap-api', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const log = createLogger('api', config.LOG_LEVEL);

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

async function main(): Promise<void> {
  const recording = process.env.BENCH_PREDICTION_LOG !== 'off';
  if (!recording) disablePredictionLogAndMetrics();
  const { startApi } = await import('../api/server');
  const api = await startApi(config, log);
  log.info({ url: api.url, predictionLog: recording, otel }, 'bench api listening');
  const stop = async (signal: string) => {
    log.info({ signal }, 'bench api stopping');
    await api.close();
    await stopTelemetry();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: unknown) => {
  log.fatal({ err: e }, 'bench api failed to start');
  process.exit(1);
});
