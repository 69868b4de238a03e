import { createArtifactStore } from '../infra/artifact-store/create-artifact-store';
import type { ModelServerConfig } from '../infra/config/schemas';
import { connectMongo } from '../infra/mongo/client';
import { DesiredStateSource } from '../infra/mongo/desired-state-source';
import { ServerRegistry } from '../infra/mongo/server-registry';
import { VersionRepository } from '../infra/mongo/version-repository';
import { createLogger } from '../infra/telemetry/logger';
import { stopTelemetry } from '../infra/telemetry/tracing';
import { DEFAULT_DRAIN_TIMEOUT_MS } from './control-routes';
import { startModelServer } from './start-model-server';

/**
 * Wires the real dependencies (artifact store, MongoDB) and handles signals: SIGTERM/SIGINT
 * drain gracefully and exit 0; a drain that overruns its bound by 5 s exits 1.
 */
export function runModelServer(config: Readonly<ModelServerConfig>): void {
  const logger = createLogger('model-server', config.LOG_LEVEL);
  void (async () => {
    const artifactStore = createArtifactStore(config);
    await artifactStore.init();
    const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
    const running = await startModelServer(config, {
      artifactStore,
      serverRegistry: new ServerRegistry(mongo.db),
      desiredState: { source: new DesiredStateSource(mongo.db, config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS), versions: new VersionRepository(mongo.db) },
      logger,
    });
    const stop = (signal: string) => {
      logger.info({ signal }, 'draining before exit');
      setTimeout(() => {
        logger.error('drain overran its bound; exiting');
        process.exit(1);
      }, DEFAULT_DRAIN_TIMEOUT_MS + 5000).unref();
      void running
        .close()
        .then(() => mongo.close())
        // A collector that cannot take the last spans must not turn a clean drain into a failure.
        .then(() => stopTelemetry().catch((e: unknown) => logger.warn({ err: e }, 'could not flush telemetry')))
        .then(() => process.exit(0))
        .catch((e: unknown) => {
          logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  })().catch((e: unknown) => {
    logger.fatal({ err: e }, 'model server failed to start');
    process.exit(1);
  });
}
