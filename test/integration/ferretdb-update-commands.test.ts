/**
 * FerretDB 1.24 keeps each statement's query of an update command open until the whole command
 * ends, one SQLite connection each, out of 100 per database: a bulk of 100+ updates to existing
 * documents waits forever for a connection it holds itself, and the database freezes for every
 * client (what froze the e2e canary). Updates therefore go in small commands
 * (infra/mongo/update-commands.ts). These run on the real server: with one big command each
 * case here hangs until the test times out.
 */
import type { AnyBulkWriteOperation } from 'mongodb';
import { BUCKET_RESOLUTIONS_S, bucketStartMs, emptyCounters, observePrediction } from '../../domain/metrics';
import { FeedbackRepository, type FeedbackDoc } from '../../infra/mongo/feedback-repository';
import { MetricBucketRepository } from '../../infra/mongo/metric-bucket-repository';
import { STATEMENTS_PER_COMMAND, updateInSmallCommands } from '../../infra/mongo/update-commands';
import { createTestMongo, type TestMongo } from '../helpers/services';

jest.setTimeout(60_000);

interface Many {
  _id: string;
  n: number;
  seen?: boolean;
}

let m: TestMongo;
beforeAll(async () => {
  m = await createTestMongo('update-commands');
});
afterAll(async () => m.close());

it('updates 300 existing documents, in two concurrent calls, and reports write errors by their index', async () => {
  const col = m.db.collection<Many>('many');
  await col.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `d${i}`, n: 0 })));
  const ops = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ updateOne: { filter: { _id: `d${from + i}` }, update: { $inc: { n: 1 } } } }));
  const [a, b] = await Promise.all([updateInSmallCommands(col, ops(0, 150)), updateInSmallCommands(col, ops(150, 300))]);
  expect([a, b]).toEqual([
    { errors: [], uncertain: [] },
    { errors: [], uncertain: [] },
  ]);
  expect(await col.countDocuments({ n: 1 })).toBe(300);

  // A refused statement (a $inc on a string): in a multi-statement command, the whole command's
  // statements are uncertain (FerretDB stops at the failure and calls it index 0); alone, exact.
  await col.updateOne({ _id: 'd20' }, { $set: { n: 'text' as never } });
  const outcome = await updateInSmallCommands(col, ops(0, 30));
  expect(outcome).toEqual({ errors: [], uncertain: [16, 17, 18, 19, 20, 21, 22, 23] });
  const alone = await updateInSmallCommands(col, ops(16, 24), 1);
  expect(alone.errors.map((e) => [e.index, e.code])).toEqual([[4, 14]]);
  expect(alone.uncertain).toEqual([]);
  // Given how to repeat a statement safely, the uncertain ones are sent again alone and the
  // failure is reported exactly, at its index in the whole list.
  const sets: AnyBulkWriteOperation<Many>[] = Array.from({ length: 30 }, (_, i) => ({ updateOne: { filter: { _id: `d${i}` }, update: { $set: { seen: true } } } }));
  sets[20] = { updateOne: { filter: { _id: 'd20' }, update: { $inc: { n: 1 } } } };
  const resolved = await updateInSmallCommands(col, sets, STATEMENTS_PER_COMMAND, (i) => sets[i]);
  expect(resolved.uncertain).toEqual([]);
  expect(resolved.errors.map((e) => [e.index, e.code, e.repeated])).toEqual([[20, 14, true]]);
  expect(await col.countDocuments({ _id: { $in: Array.from({ length: 30 }, (_, i) => `d${i}`) }, seen: true })).toBe(29);
  expect(STATEMENTS_PER_COMMAND).toBeLessThanOrEqual(16);
});

it('applies a metric-bucket flush of 150 series × resolutions to existing buckets', async () => {
  const repo = new MetricBucketRepository(m.db);
  const counters = emptyCounters();
  observePrediction(counters, { status: 'Completed', latencyMs: 3, cached: false });
  const now = Date.now();
  const deltas = Array.from({ length: 50 }, (_, i) => ({ modelId: 'm-many', modelName: 'many', environment: 'Production', version: `1.0.${i}`, versionId: `v${i}`, role: 'primary' as const })).flatMap((key) =>
    BUCKET_RESOLUTIONS_S.map((resolutionS) => ({ key, resolutionS, bucketStartMs: bucketStartMs(now, resolutionS), counters })),
  );
  expect(await repo.apply(deltas, { flushId: 'f-1', guarded: false, writer: 'w-many' })).toEqual({ applied: 150, rejected: 0 });
  // The second flush updates the 150 documents the first created.
  expect(await repo.apply(deltas, { flushId: 'f-2', guarded: false, writer: 'w-many' })).toEqual({ applied: 150, rejected: 0 });
  const docs = await repo.col.find({ modelId: 'm-many' }).toArray();
  expect(docs).toHaveLength(150);
  for (const d of docs) expect(d.count).toBe(2);
});

it('marks 150 feedback documents counted, and records a submission counted once', async () => {
  const repo = new FeedbackRepository(m.db);
  await repo.ensureIndexes();
  const doc = (id: string): FeedbackDoc => ({
    _id: id, requestId: id, modelId: 'm', modelName: 'fraud-detection', version: '1.0.0', versionId: 'v1', environment: 'Production', role: 'primary',
    predictionTime: new Date(), task: 'classification', label: 'fraud', predictedLabel: 'legit', correct: false, receivedAt: new Date(), by: 'test', countFlush: 'fb-many', counted: false,
  });
  const ids = Array.from({ length: 150 }, (_, i) => `many-${i}`);
  await repo.insertNew(ids.map(doc));
  await repo.markCounted(ids);
  expect(await repo.col.countDocuments({ counted: true })).toBe(150);

  const at = new Date();
  await repo.markFlushCounted('fb-many', at);
  await repo.markFlushCounted('fb-many', at); // idempotent
  expect(await repo.countedFlushes(['fb-many', 'fb-other', 'fb-many'])).toEqual(new Set(['fb-many']));
  // Retention takes the counted-flush records with the feedback.
  await repo.deleteOlderThan(new Date(at.getTime() + 1));
  expect(await repo.countedFlushes(['fb-many'])).toEqual(new Set());
});
