import { createLogger } from '../../infra/telemetry/logger';
import { PredictionRecorder } from '../../api/prediction-log';
import type { PredictionRecord } from '../../api/gateway/prediction-sink';
import { createTestMongo, makeTestDir, type TestMongo } from '../helpers/services';

const DAY = 86_400_000;
let m: TestMongo;
let recorder: PredictionRecorder;

beforeAll(async () => {
  m = await createTestMongo('retention');
  recorder = await PredictionRecorder.create({
    db: m.db,
    log: createLogger('test', 'silent'),
    options: { batchSize: 100, flushMs: 20, bufferMax: 1000, retryMs: 200, spillDir: makeTestDir('retention-spill'), metricsFlushMs: 100, retentionDays: 30, bucketRetentionDays: 90, sweepMs: 3_600_000 },
  });
});
afterAll(async () => {
  await recorder.close();
  await m.close();
});

const rec = (id: string, time: Date): PredictionRecord => ({
  requestId: id,
  time,
  modelId: 'm-ret',
  modelName: 'ret',
  version: '1.0.0',
  versionId: 'v',
  environment: 'Production',
  role: 'primary',
  features: {},
  outputs: { label: 'a' },
  latencyMs: 1,
  status: 'Completed',
});

it('indexes segment times (TTL where the server supports it) and the periodic sweep deletes expired segments', async () => {
  const now = new Date();
  // FerretDB has no TTL monitor: the index is a plain one and the sweep does the deleting.
  const indexes = await m.db.collection('prediction_log').indexes();
  expect(indexes.some((i) => i.key.to === 1)).toBe(true);
  expect(indexes.some((i) => i.key.ids === 1)).toBe(true);
  expect(typeof recorder.ttlEnforced).toBe('boolean');

  // Two written batches (two segments): a segment goes when its newest entry has expired.
  const record = async (list: [string, number][]) => {
    for (const [id, ageDays] of list) recorder.record(rec(id, new Date(now.getTime() - ageDays * DAY)));
    await recorder.flush();
  };
  // 100-day-old buckets exceed METRIC_BUCKET_RETENTION_DAYS (90) as well.
  await record([['old-1', 40], ['old-2', 31], ['ancient', 100]]);
  await record([['new-1', 29], ['new-2', 0]]);
  expect(await m.db.collection('prediction_log').countDocuments()).toBe(2);
  await m.db.collection('feedback').insertMany([
    { _id: 'old-1', predictionTime: new Date(now.getTime() - 40 * DAY) },
    { _id: 'new-1', predictionTime: new Date(now.getTime() - 29 * DAY) },
  ] as never[]);
  const bucketsBefore = await m.db.collection('metric_buckets').countDocuments();

  const swept = await recorder.sweepRetention(now);
  expect(swept.predictions).toBe(3);
  expect(swept.feedback).toBe(1);
  expect(swept.buckets).toBe(3); // the 100-day-old prediction's 10 s, 5 min and 1 h buckets
  const left = (await recorder.predictions.readAll()).map((d) => d._id).sort();
  expect(left).toEqual(['new-1', 'new-2']);
  expect(await m.db.collection('feedback').countDocuments()).toBe(1);
  expect(await m.db.collection('metric_buckets').countDocuments()).toBe(bucketsBefore - 3);
});
