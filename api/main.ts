import { loadConfigOrExit } from '../infra/config/load';
import { apiConfigSchema } from '../infra/config/schemas';
import { startTelemetry, stopTelemetry } from '../infra/telemetry/tracing';
import { createLogger } from '../infra/telemetry/logger';
import { isLeanRequest } from './gateway/lean-paths';

export interface LaunchOptions {
  /** false: OpenTelemetry is not started (the benchmark's informational variant). */
  telemetry?: boolean;
  /** Runs after telemetry started and before the server modules load (the benchmark's switches). */
  beforeStart?: () => void;
  /** Extra fields for the "listening" log line. */
  describe?: Record<string, unknown>;
}

/**
 * Starts the api process: config from the environment, OpenTelemetry before node:http loads
 * (the inference gateway's paths are left out of the automatic HTTP spans: the gateway starts
 * one cheap span of its own per request), then `startApi`, stopping on SIGINT / SIGTERM.
 * bench/gateway-server.ts runs the same function, so the benchmark measures this start-up.
 */
export async function launchApi(opts: LaunchOptions = {}): Promise<void> {
  const config = loadConfigOrExit(apiConfigSchema);
  // Why first: OpenTelemetry must patch node:http before the server modules load.
  if (opts.telemetry !== false) startTelemetry('hotswap-api', config.OTEL_EXPORTER_OTLP_ENDPOINT, { ignoreIncoming: isLeanRequest, sampler: { name: config.OTEL_TRACES_SAMPLER, ratio: config.OTEL_TRACES_SAMPLER_ARG } });
  const log = createLogger('api', config.LOG_LEVEL);
  try {
    opts.beforeStart?.();
    const { startApi } = await import('./server');
    const api = await startApi(config, log);
    if (api.bootstrap.generatedPassword)
      process.stdout.write(`Bootstrap admin created: username=${api.bootstrap.username} password=${api.bootstrap.generatedPassword} (shown once; change it)\n`);
    log.info({ url: api.url, ...opts.describe }, 'api listening');
    const stop = async (signal: string) => {
      const t0 = performance.now();
      log.info({ signal }, 'api stopping');
      const steps = await api.close();
      const t1 = performance.now();
      await stopTelemetry();
      const stepsMs = { ...steps, telemetry: Math.round(performance.now() - t1) };
      log.info({ signal, ms: Math.round(performance.now() - t0), steps: stepsMs }, 'api stopped');
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } catch (e) {
    log.fatal({ err: e }, 'api failed to start');
    process.exit(1);
  }
}

if (require.main === module) void launchApi();
