import http from 'node:http';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfigOrExit, orExitOnConfigError } from '../infra/config/load';
import { resolveWebhookSecrets } from '../infra/config/notify-webhooks';
import { workerConfigSchema } from '../infra/config/schemas';
import { startTelemetry, stopTelemetry } from '../infra/telemetry/tracing';
import { createLogger } from '../infra/telemetry/logger';
import { createProcessMetrics, serveMetrics } from '../infra/telemetry/metrics';
import { connectMongo } from '../infra/mongo/client';
import { createArtifactStore } from '../infra/artifact-store/create-artifact-store';
import { createWorkerActivities } from '../activities/from-config';

const config = loadConfigOrExit(workerConfigSchema);
const webhooks = orExitOnConfigError(() => resolveWebhookSecrets(config.NOTIFY_WEBHOOKS, process.env));
startTelemetry('hotswap-worker', config.OTEL_EXPORTER_OTLP_ENDPOINT);
const log = createLogger('worker', config.LOG_LEVEL);

async function main(): Promise<void> {
  const metrics = createProcessMetrics('worker');
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  const artifacts = createArtifactStore(config);
  await artifacts.init();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: await createWorkerActivities(config, mongo.db, artifacts, log, webhooks),
  });

  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') return void serveMetrics(metrics.registry, config.METRICS_TOKEN, req, res);
    if (req.url === '/health') {
      const state = worker.getState();
      res.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ status: state === 'RUNNING' ? 'healthy' : 'unhealthy', state }));
    }
    res.writeHead(404).end();
  });
  server.listen(config.WORKER_METRICS_PORT);

  const stop = (signal: string) => {
    log.info({ signal }, 'worker stopping');
    worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  await worker.run();
  server.close();
  await connection.close();
  await artifacts.close();
  await mongo.close();
  await stopTelemetry();
}

main().catch((e: unknown) => {
  log.fatal({ err: e }, 'worker failed');
  process.exit(1);
});
