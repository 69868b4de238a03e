/**
 * FerretDB answers SQLITE_BUSY ("database is locked", InternalError) while another writer holds
 * its SQLite file. Such errors are transient: metric-bucket writes wait them out (guarded, so
 * nothing counts twice), the prediction log treats them as an outage (spill and retry, never
 * drop), and the API answers 503 with Retry-After instead of 500. The busy error is injected at
 * the driver boundary (it cannot be provoked on demand); every write goes to the real server.
 */
import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import express from 'express';
import { BUCKET_RESOLUTIONS_S, bucketStartMs, emptyCounters, observePrediction } from '../../domain/metrics';
import { errorHandler } from '../../api/http/error-handler';
import { isBusy, isDatabaseUnavailable, isOutage } from '../../infra/mongo/db-errors';
import { MetricBucketRepository } from '../../infra/mongo/metric-bucket-repository';
import { createLogger } from '../../infra/telemetry/logger';
import { createTestMongo, type TestMongo } from '../helpers/services';

const BUSY = '[msg_update.go:133 handler.(*Handler).updateDocument] [collection.go:177 sqlite.(*collection).UpdateAll.func1] database is locked (5) (SQLITE_BUSY)';
const busyBulkError = () => new MongoBulkWriteError({ message: BUSY, code: 1, writeErrors: [] }, { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} } as never);

describe('telling a busy database from a refused request', () => {
  it('classifies busy, unreachable and refusing servers', () => {
    const busy = new MongoServerError({ message: BUSY, errmsg: BUSY, code: 1, codeName: 'InternalError' });
    expect(isBusy(busy)).toBe(true);
    expect(isBusy(busyBulkError())).toBe(true);
    expect(isOutage(busy)).toBe(true);
    expect(isDatabaseUnavailable(busy)).toBe(true);
    expect(isDatabaseUnavailable(new MongoNetworkError('connection reset'))).toBe(true);
    const duplicate = new MongoServerError({ message: 'E11000 duplicate key', errmsg: 'E11000 duplicate key', code: 11000 });
    expect(isBusy(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isOutage(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(new Error('database is locked'))).toBe(false);
  });

  it('answers 503 with Retry-After for a busy database, 500 for anything else', async () => {
    const app = express();
    app.get('/busy', () => {
      throw new MongoServerError({ message: BUSY, errmsg: BUSY, code: 1 });
    });
    app.get('/bug', () => {
      throw new TypeError('undefined is not a function');
    });
    app.use(errorHandler(createLogger('test', 'silent')));
    const server = app.listen(0);
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const busy = await fetch(`${url}/busy`);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(((await busy.json()) as { error: unknown }).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/database/) });
      expect((await fetch(`${url}/bug`)).status).toBe(500);
    } finally {
      server.close();
    }
  });
});

describe('metric buckets on a busy database', () => {
  let m: TestMongo;
  beforeAll(async () => {
    m = await createTestMongo('db-busy');
  });
  afterAll(async () => m.close());

  const deltas = (timeMs: number) => {
    const counters = emptyCounters();
    for (let i = 0; i < 7; i++) observePrediction(counters, { status: 'Completed', latencyMs: 2, cached: false });
    const key = { modelId: 'm-busy', modelName: 'busy', environment: 'Production', version: '1.0.0', versionId: 'v1', role: 'primary' as const };
    return BUCKET_RESOLUTIONS_S.map((resolutionS) => ({ key, resolutionS, bucketStartMs: bucketStartMs(timeMs, resolutionS), counters }));
  };

  it('waits a busy database out and counts each delta once, also when part of the bulk had landed', async () => {
    const repo = new MetricBucketRepository(m.db);
    const col = repo.col;
    const real = col.bulkWrite.bind(col);
    let calls = 0;
    // First call: the bulk lands, then the answer is "busy" (outcome unknown to the caller).
    // Second call: busy before anything is written. Third: as normal, guarded — every bucket
    // already has the flush, and FerretDB stops that command at its first duplicate, so the
    // three statements go again one by one (calls 4–6), each found already applied.
    col.bulkWrite = (async (ops: Parameters<typeof real>[0], opts: Parameters<typeof real>[1]) => {
      calls++;
      if (calls === 1) {
        await real(ops, opts);
        throw busyBulkError();
      }
      if (calls === 2) throw busyBulkError();
      return real(ops, opts);
    });
    const now = Date.now();
    const outcome = await repo.apply(deltas(now), { flushId: 'busy-1', guarded: false, writer: 'w-busy' });
    expect(outcome).toEqual({ applied: BUCKET_RESOLUTIONS_S.length, rejected: 0 });
    expect(calls).toBe(6);
    const docs = await m.db.collection('metric_buckets').find({ modelId: 'm-busy' }).toArray();
    expect(docs).toHaveLength(BUCKET_RESOLUTIONS_S.length);
    for (const d of docs) expect(d.count).toBe(7);
  });

  it('gives up after a few seconds of busy, so the caller can keep the deltas', async () => {
    const repo = new MetricBucketRepository(m.db);
    const col = repo.col;
    let calls = 0;
    col.bulkWrite = (async () => {
      calls++;
      throw busyBulkError();
    });
    await expect(repo.apply(deltas(Date.now()), { flushId: 'busy-2', guarded: false, writer: 'w-busy-2' })).rejects.toThrow(/SQLITE_BUSY/);
    expect(calls).toBe(6);
  }, 15_000);
});
