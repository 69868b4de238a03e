/**
 * Prediction-log completeness against a real FerretDB that this test starts on its own port
 * and stops/restarts in the middle of the stream: N records → exactly N documents, no
 * duplicates, memory within PREDICTION_LOG_BUFFER_MAX, metric buckets exact.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { freeStablePort } from '../../ops/free-port';
import { fileSink } from '../../ops/log-output';
import { ferretDb, type FerretDb } from '../../ops/services/ferretdb';
import { connectMongo, type MongoHandle } from '../../infra/mongo/client';
import { readMetricWindow } from '../../infra/mongo/metric-bucket-repository';
import { createLogger } from '../../infra/telemetry/logger';
import { PredictionRecorder } from '../../api/prediction-log';
import type { PredictionRecord } from '../../api/gateway/prediction-sink';
import { makeTestDir } from '../helpers/services';

jest.setTimeout(180_000);

const N = 3000;
const BUFFER_MAX = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let mongo: FerretDb;
let handle: MongoHandle;
let recorder: PredictionRecorder | undefined;
const registry = new Registry();

beforeAll(async () => {
  dir = makeTestDir('prediction-log-outage');
  const port = await freeStablePort(); // FerretDB gets it back after its outage (see ops/free-port.ts)
  mongo = ferretDb({ dataDir: path.join(dir, 'ferretdb'), port, output: fileSink(path.join(dir, 'ferretdb.log')), restart: false });
  await mongo.process.start();
  handle = await connectMongo(mongo.uri, 'outage');
});

afterAll(async () => {
  await recorder?.close().catch(() => undefined);
  await handle?.close().catch(() => undefined);
  await mongo?.process.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function record(i: number, t0: number): PredictionRecord {
  return {
    requestId: `outage-${i}`,
    time: new Date(t0 + i),
    modelId: 'model-outage',
    modelName: 'fraud-detection',
    version: '1.0.0',
    versionId: 'v-1',
    environment: 'Production',
    role: 'primary',
    features: { transaction_amount: i, merchant_category: 'retail' },
    outputs: { label: i % 3 ? 'legit' : 'fraud', probabilities: { legit: 0.7, fraud: 0.3 } },
    latencyMs: 0.5 + (i % 20),
    status: i % 100 === 0 ? 'Failed' : 'Completed',
    ...(i % 100 === 0 && { errorCode: 'SERVICE_UNAVAILABLE', outputs: null }),
    traceId: `trace-${i}`,
  };
}

it('writes exactly N entries across a MongoDB outage in the middle, memory bounded', async () => {
  const spillDir = path.join(dir, 'spill');
  recorder = await PredictionRecorder.create({
    db: handle.db,
    log: createLogger('test', process.env.HOTSWAP_TEST_VERBOSE === '1' ? 'warn' : 'silent'),
    registry,
    options: { batchSize: 50, flushMs: 20, bufferMax: BUFFER_MAX, retryMs: 200, spillDir, metricsFlushMs: 200, retentionDays: 30, bucketRetentionDays: 90, sweepMs: 3_600_000 },
  });
  const t0 = Date.now() - 60_000;
  let stoppedAt = -1;
  let restartedAt = -1;
  const restart: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    recorder.record(record(i, t0));
    if (i === 900) {
      stoppedAt = i;
      await mongo.process.stop();
    }
    if (i === 2100) {
      restartedAt = i;
      restart.push(mongo.process.start());
    }
    // ~1,000 records/s; the outage lasts about 3 s.
    if (i % 50 === 49) await sleep(stoppedAt >= 0 && restartedAt < 0 ? 120 : 25);
  }
  await Promise.all(restart);
  expect([stoppedAt, restartedAt]).toEqual([900, 2100]);

  await recorder.flush({ replay: true, timeoutMs: 90_000 });
  const stats = recorder.stats();
  if (process.env.HOTSWAP_TEST_VERBOSE === '1') process.stdout.write(`prediction log stats: ${JSON.stringify(stats)}\n`);
  expect(stats.dropped).toBe(0);
  expect(stats.spilled).toBeGreaterThan(0);
  expect(stats.replayed).toBe(stats.spilled);
  expect(stats.highWater).toBeLessThanOrEqual(BUFFER_MAX);

  const log = recorder.predictions;
  expect(await log.countEntries()).toBe(N);
  const entries = await log.readAll();
  const ids = new Set(entries.map((d) => d._id));
  expect(ids.size).toBe(N);
  for (let i = 0; i < N; i++) expect(ids.has(`outage-${i}`)).toBe(true);
  const sample = entries.find((d) => d._id === 'outage-1501');
  expect(sample).toMatchObject({ requestId: 'outage-1501', modelName: 'fraud-detection', role: 'primary', status: 'Completed', traceId: 'trace-1501', cached: false, features: { transaction_amount: 1501 } });
  expect(sample!.time).toEqual(new Date(t0 + 1501));

  // Nothing left to replay (the live writer's open segment and journal are its own, not a backlog).
  expect(fs.existsSync(spillDir) ? fs.readdirSync(path.join(spillDir, 'outage')).filter((f) => !f.endsWith('.open') && !f.endsWith('.journal')) : []).toEqual([]);

  // The metric buckets survived the outage too, each prediction counted once.
  const w = await readMetricWindow(handle.db, { modelId: 'model-outage', environment: 'Production', version: '1.0.0', from: new Date(t0 - 10_000), to: new Date() });
  expect(w.summary.totalRequests).toBe(N);
  expect(w.summary.serverErrors).toBe(N / 100);

  // Prometheus: spilled, replayed and dropped counters on the registry.
  const text = await registry.metrics();
  expect(text).toMatch(new RegExp(`hotswap_prediction_log_spilled_total ${stats.spilled}\\b`));
  expect(text).toMatch(new RegExp(`hotswap_prediction_log_replayed_total ${stats.replayed}\\b`));
  expect(text).toMatch(/hotswap_prediction_log_queue_depth 0\b/);
  expect(text).not.toMatch(/hotswap_prediction_log_dropped_total\{[^}]*\} [1-9]/);

  await recorder.close();
  recorder = undefined;
});
