/** Entry point of a model-server process. Telemetry starts before node:http is loaded, so it is instrumented. */
import { loadConfigOrExit } from '../infra/config/load';
import { modelServerConfigSchema } from '../infra/config/schemas';
import { startTelemetry } from '../infra/telemetry/tracing';

const config = loadConfigOrExit(modelServerConfigSchema);
// Measured: the HTTP instrumentation costs 30-50 % of single-row throughput on this hot path,
// and without an exporter it yields nothing (no trace ids; incoming `traceparent` ids still
// reach error bodies through http-io.ts). So tracing starts when traces have somewhere to go.
if (config.OTEL_EXPORTER_OTLP_ENDPOINT) startTelemetry('model-server', config.OTEL_EXPORTER_OTLP_ENDPOINT);
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('./run-model-server') as typeof import('./run-model-server')).runModelServer(config);
