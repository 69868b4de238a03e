/** Entry point of a model-server process. Telemetry starts before node:http is loaded, so it is instrumented. */
import { loadConfigOrExit } from '../infra/config/load';
import { modelServerConfigSchema } from '../infra/config/schemas';
import { startTelemetry } from '../infra/telemetry/tracing';

const config = loadConfigOrExit(modelServerConfigSchema);
// Measured: the HTTP instrumentation costs 30-50 % of single-row throughput on this hot path.
// Without an exporter the SDK still starts (W3C propagator, manual spans), but per-request
// server spans are left out; incoming `traceparent` ids reach logs and error bodies through
// http-io.ts. With an exporter, every request is traced.
startTelemetry('model-server', config.OTEL_EXPORTER_OTLP_ENDPOINT, { instrumentHttp: Boolean(config.OTEL_EXPORTER_OTLP_ENDPOINT) });
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('./run-model-server') as typeof import('./run-model-server')).runModelServer(config);
