/** Entry point of a model-server process. Telemetry starts before node:http is loaded, so it is instrumented. */
import { loadConfigOrExit } from '../infra/config/load';
import { modelServerConfigSchema } from '../infra/config/schemas';
import { startTelemetry } from '../infra/telemetry/tracing';

const config = loadConfigOrExit(modelServerConfigSchema);
startTelemetry('model-server', config.OTEL_EXPORTER_OTLP_ENDPOINT);
// eslint-disable-next-line @typescript-eslint/no-require-imports
(require('./run-model-server') as typeof import('./run-model-server')).runModelServer(config);
