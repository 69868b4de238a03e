import { loadConfigOrExit } from '../infra/config/load';
import { apiConfigSchema } from '../infra/config/schemas';
import { startTelemetry, stopTelemetry } from '../infra/telemetry/tracing';
import { createLogger } from '../infra/telemetry/logger';

// Why first: OpenTelemetry must patch node:http before the server modules load.
const config = loadConfigOrExit(apiConfigSchema);
startTelemetry('hotswap-api', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const log = createLogger('api', config.LOG_LEVEL);

async function main(): Promise<void> {
  const { startApi } = await import('./server');
  const api = await startApi(config, log);
  if (api.bootstrap.generatedPassword)
    process.stdout.write(`Bootstrap admin created: username=${api.bootstrap.username} password=${api.bootstrap.generatedPassword} (shown once; change it)\n`);
  log.info({ url: api.url }, 'api listening');
  const stop = async (signal: string) => {
    log.info({ signal }, 'api stopping');
    await api.close();
    await stopTelemetry();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e: unknown) => {
  log.fatal({ err: e }, 'api failed to start');
  process.exit(1);
});
