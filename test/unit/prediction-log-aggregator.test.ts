import { SUM_FIELDS, emptyCounters, mergeCounters, type BucketCounters, type SeriesKey } from '../../domain/metrics';
import type { ApplyOptions, ApplyOutcome, BucketDelta } from '../../infra/mongo/metric-bucket-repository';
import { bucketDocId } from '../../infra/mongo/metric-bucket-repository';
import { createLogger } from '../../infra/telemetry/logger';
import { createPredictionLogInstruments } from '../../api/prediction-log/instruments';
import { MetricAggregator, type BucketStore } from '../../api/prediction-log/metric-aggregator';

/** Buckets in memory with the same guard semantics as MetricBucketRepository.apply. */
class FakeBuckets implements BucketStore {
  readonly docs = new Map<string, { counters: BucketCounters; flushes: Set<string>; res: number }>();
  down = false;
  /** Apply the next call, then report failure (the caller cannot know it was applied). */
  applyThenFail = false;
  calls: { flushId: string; guarded: boolean; writer: string; n: number }[] = [];

  async apply(deltas: readonly BucketDelta[], { flushId, guarded, writer }: ApplyOptions): Promise<ApplyOutcome> {
    this.calls.push({ flushId, guarded, writer, n: deltas.length });
    if (this.down) throw new Error('connect ECONNREFUSED');
    for (const d of deltas) {
      const id = bucketDocId(d, writer);
      const doc = this.docs.get(id) ?? { counters: emptyCounters(), flushes: new Set<string>(), res: d.resolutionS };
      if (guarded && doc.flushes.has(flushId)) continue;
      mergeCounters(doc.counters, d.counters);
      doc.flushes.add(flushId);
      this.docs.set(id, doc);
    }
    if (this.applyThenFail) {
      this.applyThenFail = false;
      throw new Error('connection reset');
    }
    return { applied: deltas.length, rejected: 0 };
  }

  total(res: number): BucketCounters {
    const t = emptyCounters();
    for (const d of this.docs.values()) if (d.res === res) mergeCounters(t, d.counters);
    return t;
  }
}

const key = (version: string, role: SeriesKey['role'] = 'primary'): SeriesKey => ({ modelId: 'm1', modelName: 'fraud', environment: 'Production', version, versionId: `id-${version}`, role });
const T0 = Date.UTC(2025, 0, 15, 10, 59, 55);

function aggregator(store: FakeBuckets, maxPendingDeltas = 10_000) {
  const instruments = createPredictionLogInstruments(undefined, { queueDepth: () => 0, spillSegments: () => 0, pendingBucketDeltas: () => 0 });
  return { a: new MetricAggregator(store, { flushMs: 60_000, maxPendingDeltas }, createLogger('test', 'silent'), instruments), instruments };
}

it('counts each prediction once at every resolution', async () => {
  const store = new FakeBuckets();
  const { a } = aggregator(store);
  // 30 predictions over 20 s across an hour boundary (10:59:55 → 11:00:15), two versions.
  for (let i = 0; i < 30; i++) a.observe(key(i % 3 ? '1.0.0' : '2.0.0'), T0 + i * 700, { status: i === 4 ? 'Failed' : 'Completed', errorCode: 'INFERENCE_ERROR', latencyMs: 2 });
  await a.flush();
  for (const res of [10, 300, 3600]) {
    expect(store.total(res)).toMatchObject({ count: 30, serverErrors: 1, latCount: 29, latSum: 58 });
  }
  // 10-second buckets: 10:59:50, 11:00:00, 11:00:10 for each of 2 versions; hours: 10:00 and 11:00.
  const ids = [...store.docs.keys()];
  expect(ids.filter((id) => id.startsWith('10|'))).toHaveLength(6);
  expect(ids.filter((id) => id.startsWith('3600|'))).toHaveLength(4);
  expect(a.pendingDeltas()).toBe(0);
});

it('retries a flush whose outcome was unknown without counting it twice', async () => {
  const store = new FakeBuckets();
  const { a } = aggregator(store);
  for (let i = 0; i < 10; i++) a.observe(key('1.0.0'), T0, { status: 'Completed', latencyMs: 1 });
  store.applyThenFail = true;
  await expect(a.flush()).rejects.toThrow('connection reset');
  expect(a.pendingDeltas()).toBe(3);
  for (let i = 0; i < 5; i++) a.observe(key('1.0.0'), T0, { status: 'Completed', latencyMs: 1 });
  await a.flush();
  expect(store.total(10).count).toBe(15);
  expect(store.total(3600).count).toBe(15);
  // The retry was guarded and used the same flush id; the new increments came in a new flush.
  expect(store.calls.map((c) => c.guarded)).toEqual([false, true, false]);
  expect(store.calls[1].flushId).toBe(store.calls[0].flushId);
  expect(store.calls[2].flushId).not.toBe(store.calls[0].flushId);
});

it('keeps increments while MongoDB is down and writes them when it is back', async () => {
  const store = new FakeBuckets();
  const { a } = aggregator(store);
  store.down = true;
  for (let round = 0; round < 3; round++) {
    a.observe(key('1.0.0'), T0 + round * 10_000, { status: 'Completed', latencyMs: 3 });
    await expect(a.flush()).rejects.toThrow();
  }
  store.down = false;
  await a.flush();
  expect(store.total(10).count).toBe(3);
  expect(store.total(300).count).toBe(3);
});

it('bounds what it keeps for retry, dropping the oldest flushes (counted)', async () => {
  const store = new FakeBuckets();
  const { a, instruments } = aggregator(store, 7);
  store.down = true;
  for (let round = 0; round < 4; round++) {
    a.observe(key('1.0.0'), T0 + round * 3_600_000, { status: 'Completed', latencyMs: 3 });
    await expect(a.flush()).rejects.toThrow();
  }
  // Each flush holds 3 deltas (one per resolution); at most 7 → the 2 newest flushes stay.
  expect(a.pendingDeltas()).toBe(6);
  expect((await instruments.bucketDeltasDropped.get()).values[0].value).toBe(6);
  store.down = false;
  await a.close();
  expect(store.total(10).count).toBe(2);
});

it('records shadow agreement with the shadow series', async () => {
  const store = new FakeBuckets();
  const { a } = aggregator(store);
  a.observe(key('2.0.0', 'shadow'), T0, { status: 'Completed', latencyMs: 1 }, true);
  a.observe(key('2.0.0', 'shadow'), T0, { status: 'Completed', latencyMs: 1 }, false);
  a.observe(key('2.0.0', 'shadow'), T0, { status: 'Completed', latencyMs: 1 });
  await a.flush();
  const t = store.total(10);
  expect(t).toMatchObject({ count: 3, shadowCompared: 2, shadowAgreed: 1 });
  expect(SUM_FIELDS).toContain('shadowAgreed');
});
