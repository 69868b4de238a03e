import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { createLogger } from '../../infra/telemetry/logger';
import { isOutage } from '../../infra/mongo/db-errors';
import type { InsertOutcome, PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import { createPredictionLogInstruments } from '../../api/prediction-log/instruments';
import { PredictionLogWriter, type PredictionStore } from '../../api/prediction-log/prediction-log-writer';
import { SpillStore } from '../../api/prediction-log/spill-store';
import { until } from '../helpers/until';

const log = createLogger('test', 'silent');

/** An in-memory stand-in for the predictions collection (unique _id), with an outage switch. */
class FakeStore implements PredictionStore {
  readonly docs = new Map<string, PredictionDoc>();
  down = false;
  /** Apply this many documents of the next batch, then fail (an outage mid-write). */
  partialThenFail: number | undefined;
  /** Go down after this many more successful batches (an outage in the middle of a replay). */
  downAfterBatches: number | undefined;
  /** Documents whose features the "server" refuses unless they are JSON text. */
  refuse = (d: PredictionDoc) => typeof d.features === 'object' && d.features !== null && 'bad.key' in d.features;
  batches: number[] = [];
  attempts = 0;

  async insertBatch(batch: readonly PredictionDoc[]): Promise<InsertOutcome> {
    this.attempts++;
    await new Promise((r) => setImmediate(r));
    if (this.down) throw new Error('connect ECONNREFUSED');
    const out: InsertOutcome = { inserted: 0, duplicates: 0, rejected: [] };
    const limit = this.partialThenFail ?? batch.length;
    for (let i = 0; i < Math.min(limit, batch.length); i++) {
      const d = batch[i];
      if (this.refuse(d)) out.rejected.push({ index: i, message: 'invalid key' });
      else if (this.docs.has(d._id)) out.duplicates++;
      else {
        this.docs.set(d._id, d);
        out.inserted++;
      }
    }
    if (this.partialThenFail !== undefined) {
      this.partialThenFail = undefined;
      this.down = true;
      throw new Error('connection reset');
    }
    this.batches.push(batch.length);
    if (this.downAfterBatches !== undefined && --this.downAfterBatches === 0) {
      this.downAfterBatches = undefined;
      this.down = true;
    }
    return out;
  }

  async ping(): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED');
  }
}

function doc(i: number, extra: Partial<PredictionDoc> = {}): PredictionDoc {
  return {
    _id: `req-${i}`,
    requestId: `req-${i}`,
    time: new Date(Date.UTC(2025, 0, 15, 10, 0, 0, i)),
    modelId: 'm1',
    modelName: 'fraud',
    version: '1.0.0',
    versionId: 'v1',
    environment: 'Production',
    role: 'primary',
    features: { amount: i },
    outputs: { label: i % 2 ? 'fraud' : 'legit' },
    latencyMs: 1 + (i % 7),
    status: 'Completed',
    cached: false,
    ...extra,
  };
}

let dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-spill-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

let instanceSeq = 0;
function writer(store: FakeStore, dir: string, opts: Partial<{ batchSize: number; flushMs: number; bufferMax: number; retryMs: number }> = {}) {
  const instruments = createPredictionLogInstruments(undefined, { queueDepth: () => 0, spillSegments: () => 0, pendingBucketDeltas: () => 0 });
  const spill = new SpillStore({ dir, instanceId: `t${instanceSeq++}` });
  const w = new PredictionLogWriter(store, spill, { batchSize: 50, flushMs: 5, bufferMax: 200, retryMs: 20, ...opts }, log, instruments);
  w.start();
  return { w, spill, instruments };
}

const tick = () => new Promise((r) => setTimeout(r, 1));


it('writes every entry once, in batches of at most batchSize', async () => {
  // A burst within bufferMax stays in memory: nothing is spilled.
  const store = new FakeStore();
  const { w } = writer(store, tempDir(), { bufferMax: 5000 });
  for (let i = 0; i < 1234; i++) w.enqueue(doc(i));
  await w.flush({ replay: true, timeoutMs: 10_000 });
  expect(store.docs.size).toBe(1234);
  expect(Math.max(...store.batches)).toBeLessThanOrEqual(50);
  expect(w.stats()).toMatchObject({ written: 1234, spilled: 0, dropped: 0, state: 'healthy' });
  await w.close();
});

it('sends a burst beyond bufferMax to the spill file and still writes it all', async () => {
  const store = new FakeStore();
  const { w } = writer(store, tempDir(), { bufferMax: 100 });
  for (let i = 0; i < 1000; i++) w.enqueue(doc(i));
  expect(w.stats().highWater).toBeLessThanOrEqual(100);
  await w.flush({ replay: true, timeoutMs: 10_000 });
  expect(store.docs.size).toBe(1000);
  expect(w.stats().spilled).toBeGreaterThan(800);
  expect(w.stats().dropped).toBe(0);
  await w.close();
});

it('an outage in the middle of a replay neither writes nor counts an entry twice', async () => {
  const store = new FakeStore();
  const { w } = writer(store, tempDir(), { bufferMax: 100 });
  store.down = true;
  for (let i = 0; i < 1000; i++) w.enqueue(doc(i));
  await until('900 entries spilled', () => w.stats().spilled >= 900, 10_000, 1);
  // Back up for three replay batches, down again (the segment is given back half replayed), then up.
  store.downAfterBatches = 3;
  store.down = false;
  await until('the store to go down', () => store.down, 10_000, 1);
  const replayedBefore = w.stats().replayed;
  await new Promise((r) => setTimeout(r, 50));
  store.down = false;
  await w.flush({ replay: true, timeoutMs: 10_000 });
  const s = w.stats();
  expect(replayedBefore).toBeGreaterThan(0);
  expect(replayedBefore).toBeLessThan(s.spilled);
  expect(store.docs.size).toBe(1000);
  expect({ replayed: s.replayed, duplicates: s.duplicates, dropped: s.dropped }).toEqual({ replayed: s.spilled, duplicates: 0, dropped: 0 });
  await w.close();
});

it('loses nothing across an outage: spills, then replays; memory stays within bufferMax', async () => {
  const store = new FakeStore();
  const dir = tempDir();
  const { w } = writer(store, dir, { bufferMax: 200 });
  const N = 5000;
  for (let i = 0; i < N; i++) {
    if (i === 700) store.down = true;
    if (i === 3500) store.down = false;
    w.enqueue(doc(i));
    if (i % 100 === 0) await tick();
  }
  await w.flush({ replay: true, timeoutMs: 20_000 });
  expect(store.docs.size).toBe(N);
  const s = w.stats();
  expect(s.highWater).toBeLessThanOrEqual(200);
  expect(s.spilled).toBeGreaterThan(0);
  expect(s.replayed).toBe(s.spilled);
  expect(s.dropped).toBe(0);
  expect(fs.readdirSync(dir).filter((f) => !f.endsWith('.open'))).toEqual([]);
  await w.close();
});

it('ignores duplicates when a write failed part-way and its batch is replayed', async () => {
  const store = new FakeStore();
  const { w } = writer(store, tempDir(), { batchSize: 40 });
  store.partialThenFail = 15;
  for (let i = 0; i < 40; i++) w.enqueue(doc(i));
  await new Promise((r) => setTimeout(r, 50));
  expect(w.stats().state).toBe('degraded');
  store.down = false;
  await w.flush({ replay: true, timeoutMs: 10_000 });
  expect(store.docs.size).toBe(40);
  expect(w.stats()).toMatchObject({ duplicates: 15, replayed: 40, dropped: 0 });
  await w.close();
});

it('stores entries the server refuses as JSON text instead of losing them', async () => {
  const store = new FakeStore();
  const { w } = writer(store, tempDir());
  w.enqueue(doc(1, { features: { 'bad.key': 1 } }));
  w.enqueue(doc(2));
  await w.flush({ timeoutMs: 5000 });
  expect(store.docs.get('req-1')).toMatchObject({ features: '{"bad.key":1}', encoded: 'json' });
  expect(store.docs.get('req-2')?.features).toEqual({ amount: 2 });
  expect(w.stats().dropped).toBe(0);
  await w.close();
});

it('drops (and counts) only what the server refuses even as JSON text', async () => {
  const store = new FakeStore();
  store.refuse = (d) => d._id === 'req-9';
  const { w, instruments } = writer(store, tempDir());
  for (let i = 0; i < 10; i++) w.enqueue(doc(i));
  await w.flush({ timeoutMs: 5000 });
  expect(store.docs.size).toBe(9);
  expect(w.stats().dropped).toBe(1);
  expect((await instruments.dropped.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'refused' }, value: 1 })]);
  await w.close();
});

it('finds entries still in memory (feedback looks there before MongoDB)', async () => {
  const store = new FakeStore();
  store.down = true;
  const { w } = writer(store, tempDir(), { retryMs: 60_000 });
  w.enqueue(doc(1));
  w.enqueue(doc(2, { role: 'shadow', _id: 'req-1:shadow', requestId: 'req-1:shadow', primaryRequestId: 'req-1' }));
  expect(w.findBuffered((d) => d._id === 'req-1' || d.primaryRequestId === 'req-1').map((d) => d._id)).toEqual(['req-1', 'req-1:shadow']);
  await w.close();
});

it('on close spills what MongoDB cannot take; the next writer replays it (and skips a torn last line)', async () => {
  const store = new FakeStore();
  const dir = tempDir();
  const first = writer(store, dir, { retryMs: 60_000 });
  store.down = true;
  for (let i = 0; i < 300; i++) first.w.enqueue(doc(i));
  await first.w.close();
  expect(store.docs.size).toBe(0);
  const files = fs.readdirSync(dir);
  expect(files.length).toBeGreaterThan(0);
  expect(files.every((f) => f.endsWith('.ndjson'))).toBe(true);
  // A crash mid-write leaves half a line.
  fs.appendFileSync(path.join(dir, files[0]), '{"_id":"torn","time":"2025-');

  store.down = false;
  const second = writer(store, dir);
  await second.w.flush({ replay: true, timeoutMs: 10_000 });
  expect(store.docs.size).toBe(300);
  expect(second.w.stats()).toMatchObject({ replayed: 300, dropped: 1 });
  expect(store.docs.get('req-5')!.time).toEqual(doc(5).time);
  expect(fs.readdirSync(dir)).toEqual([]);
  await second.w.close();
});

it('never throws from enqueue, even after close', async () => {
  const store = new FakeStore();
  const { w } = writer(store, tempDir());
  await w.close();
  expect(() => w.enqueue(doc(1))).not.toThrow();
  expect(w.stats().dropped).toBe(1);
});

describe('isOutage: retry later (spill) or refused for good', () => {
  it.each([
    ['a network error', new MongoNetworkError('connect ECONNREFUSED'), true],
    ['server selection timing out', new MongoServerSelectionError('Server selection timed out', {} as never), true],
    // What the driver throws when an insertMany loses its connection.
    ['a network error wrapped in a bulk-write error', new MongoBulkWriteError(new MongoNetworkError('connect ECONNREFUSED'), {} as never), true],
    ['a plain Error', new Error('socket hang up'), true],
    ['the server shutting down', new MongoServerError({ message: 'shutdown in progress', code: 91 }), true],
    ['a refusal (bad key)', new MongoServerError({ message: "invalid key: \"a.b\" (key must not contain '.' sign)", code: 2 }), false],
    ['a refusal in a bulk write', new MongoBulkWriteError({ message: 'invalid key', code: 2, writeErrors: [] }, {} as never), false],
  ])('%s → %p', (_name, error, expected) => {
    expect(isOutage(error)).toBe(expected);
  });
});
