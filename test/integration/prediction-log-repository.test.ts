/**
 * The prediction log's storage on the real server: segments written once (a retried batch is a
 * duplicate), lookups by request id (minted ids by address, others through the `ids` index), newest-first reads of one series,
 * distinct counts when an entry was stored twice, and retention by segment.
 */
import { mintRequestId, SLOT_MS } from '../../infra/mongo/prediction-log-address';
import { PredictionLogRepository, type PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import { createTestMongo, type TestMongo } from '../helpers/services';

let m: TestMongo;
let repo: PredictionLogRepository;
beforeAll(async () => {
  m = await createTestMongo('prediction-segments');
  repo = new PredictionLogRepository(m.db);
  await repo.ensureIndexes(30);
});
afterAll(async () => m.close());

const t0 = Date.now() - 60_000;
const entry = (id: string, at: number, over: Partial<PredictionDoc> = {}): PredictionDoc => ({
  _id: id,
  requestId: id,
  time: new Date(t0 + at),
  modelId: 'm-seg',
  modelName: 'seg',
  version: '1.0.0',
  versionId: 'v1',
  environment: 'Production',
  role: 'primary',
  features: { x: at },
  outputs: { label: at % 2 ? 'a' : 'b' },
  latencyMs: 1,
  status: 'Completed',
  cached: false,
  ...over,
});

it('writes a batch as one segment; the same batch again is a duplicate, not a second copy', async () => {
  const batch = Array.from({ length: 50 }, (_, i) => entry(`a-${i}`, i));
  expect(await repo.insertBatch(batch)).toEqual({ inserted: 50, duplicates: 0, rejected: [] });
  expect(await repo.insertBatch(batch)).toEqual({ inserted: 0, duplicates: 50, rejected: [] });
  expect(await repo.col.countDocuments({ ids: 'a-0' })).toBe(1);
  const [seg] = await repo.col.find({ ids: 'a-0' }).toArray();
  expect(seg).toMatchObject({ count: 50, from: new Date(t0), to: new Date(t0 + 49), series: ['m-seg|Production|v1|primary'] });
});

it('refuses an entry it cannot encode on its own and stores the rest of the batch', async () => {
  const outcome = await repo.insertBatch([entry('enc-1', 500), entry('enc-bad', 501, { time: new Date(Number.NaN) }), entry('enc-2', 502)]);
  expect(outcome).toMatchObject({ inserted: 2, duplicates: 0, rejected: [{ index: 1, message: expect.stringMatching(/cannot encode: entry enc-bad has no valid time/) }] });
  expect((await repo.findByRequestIds(['enc-1', 'enc-2', 'enc-bad'])).map((d) => d._id).sort()).toEqual(['enc-1', 'enc-2']);
  await repo.col.deleteMany({ ids: { $in: ['enc-1', 'enc-2'] } });
});

it('finds entries by request id, each once even when a replay stored it in two segments', async () => {
  // A replay with other batch boundaries: a-10..a-14 are stored a second time, next to new entries.
  await repo.insertBatch([...Array.from({ length: 5 }, (_, i) => entry(`a-${10 + i}`, 10 + i)), entry('b-0', 100), entry('b-0:shadow', 101, { role: 'shadow', versionId: 'v2', version: '2.0.0', primaryRequestId: 'b-0' })]);
  const found = await repo.findByRequestIds(['a-12', 'b-0', 'b-0:shadow', 'missing']);
  expect(found.map((d) => d._id).sort()).toEqual(['a-12', 'b-0', 'b-0:shadow']);
  expect(found.find((d) => d._id === 'a-12')).toMatchObject({ features: { x: 12 }, time: new Date(t0 + 12), modelName: 'seg' });
  expect(await repo.findByRequestIds(['a-3'])).toHaveLength(1);
  expect(await repo.findByRequestIds([])).toEqual([]);
  expect(await repo.countEntries()).toBe(52);
  expect((await repo.readAll()).length).toBe(52);
});

it('reads one series newest first, within the window, up to a limit', async () => {
  // Three more segments of the primary series, one of another series, one of failures.
  for (let s = 0; s < 3; s++) await repo.insertBatch(Array.from({ length: 20 }, (_, i) => entry(`c-${s}-${i}`, 1000 + s * 100 + i)));
  await repo.insertBatch([entry('other-env', 1500, { environment: 'Staging' })]);
  await repo.insertBatch([entry('failed', 1400, { status: 'Failed', errorCode: 'MODEL_ERROR' })]);
  const q = { modelId: 'm-seg', environment: 'Production', versionId: 'v1', role: 'primary' as const, from: new Date(t0 + 1000), to: new Date(t0 + 1300) };
  const newest = await repo.findSeries(q, 25);
  expect(newest.map((d) => d._id)).toEqual([...Array.from({ length: 20 }, (_, i) => `c-2-${19 - i}`), ...Array.from({ length: 5 }, (_, i) => `c-1-${19 - i}`)]);
  // The window is [from, to): c-2-0 at +1200 is in, entries at +1300 and later would not be.
  expect((await repo.findSeries({ ...q, from: new Date(t0 + 1200), to: new Date(t0 + 1210) }, 100)).map((d) => d._id)).toEqual(Array.from({ length: 10 }, (_, i) => `c-2-${9 - i}`));
  expect((await repo.findSeries({ ...q, to: new Date(t0 + 2000), status: 'Failed' }, 10)).map((d) => d._id)).toEqual(['failed']);
  expect(await repo.findSeries({ ...q, environment: 'Staging', to: new Date(t0 + 2000) }, 10)).toHaveLength(1);
  expect(await repo.findSeries({ ...q, role: 'shadow' }, 10)).toEqual([]);
});

it('deletes whole segments whose newest entry is older than the cut-off, and reports their entries', async () => {
  const before = await repo.countEntries();
  // Everything so far is at most t0 + 1500: a cut-off between segments deletes only the older ones.
  const deleted = await repo.deleteOlderThan(new Date(t0 + 1050));
  expect(deleted).toBe(50 + 7 + 20); // the first segment, the replay segment and c-0
  expect(await repo.countEntries()).toBe(before - 50 - 2 - 20); // a-10..a-14 were stored twice
  expect(await repo.findByRequestIds(['a-0', 'b-0', 'c-0-0', 'c-1-0'])).toMatchObject([{ _id: 'c-1-0' }]);
});

describe('entries with ids the gateway minted', () => {
  const slotOf = (ms: number) => Math.floor(ms / SLOT_MS);
  const base = Math.floor((t0 + 5_000) / SLOT_MS) * SLOT_MS;
  const minted = (writer: string, offsetMs: number) => mintRequestId(base + offsetMs, writer);
  const stored = (filter: object) => m.db.collection('prediction_log').find(filter).toArray();

  it('files them by address (<writer>:<second>:<seq>, no ids array) and finds them by _id reads', async () => {
    const first = [minted('aa01', 10), minted('aa01', 990), minted('aa01', 1_010)];
    const batch = [...first.map((id, i) => entry(id, 5_000 + i)), entry('chosen-1', 5_003), entry(`${first[0]}:shadow`, 5_004, { role: 'shadow', primaryRequestId: first[0] }), entry(`${first[1]}:0`, 5_005)];
    expect(await repo.insertBatch(batch)).toEqual({ inserted: 6, duplicates: 0, rejected: [] });
    const segs = await stored({ _id: { $in: [`aa01:${slotOf(base)}:0`, `aa01:${slotOf(base) + 1}:0`] } });
    expect(segs.map((s) => [s._id, s.count, s.ids]).sort()).toEqual([
      [`aa01:${slotOf(base)}:0`, 4, undefined],
      [`aa01:${slotOf(base) + 1}:0`, 1, undefined],
    ]);
    expect(await stored({ ids: 'chosen-1' })).toHaveLength(1);
    const found = await repo.findByRequestIds([...first, `${first[0]}:shadow`, `${first[1]}:0`, 'chosen-1', minted('aa01', 20)]);
    expect(found.map((d) => d._id).sort()).toEqual([...first, `${first[0]}:shadow`, `${first[1]}:0`, 'chosen-1'].sort());
    expect(found.find((d) => d._id === `${first[0]}:shadow`)).toMatchObject({ role: 'shadow', primaryRequestId: first[0] });
  });

  it('appends later batches of a second as seq 1, 2, …; the same entries again are duplicates, also for a new process', async () => {
    const a = [minted('bb02', 100), minted('bb02', 200)].map((id, i) => entry(id, 6_000 + i));
    const b = [minted('bb02', 300)].map((id) => entry(id, 6_100));
    const c = [minted('bb02', 400)].map((id) => entry(id, 6_200));
    expect(await repo.insertBatch(a)).toMatchObject({ inserted: 2 });
    expect(await repo.insertBatch(b)).toMatchObject({ inserted: 1 });
    // A process that starts afresh (a replay after a write of unknown outcome) probes from seq 0.
    const replaying = new PredictionLogRepository(m.db);
    expect(await replaying.insertBatch(b)).toEqual({ inserted: 0, duplicates: 1, rejected: [] });
    expect(await replaying.insertBatch(c)).toEqual({ inserted: 1, duplicates: 0, rejected: [] });
    // … and the first process, whose remembered seq another writer took, moves on without a gap.
    const d = [minted('bb02', 500)].map((id) => entry(id, 6_300));
    expect(await repo.insertBatch(d)).toMatchObject({ inserted: 1 });
    const ids = (await stored({ _id: { $in: [0, 1, 2, 3, 4].map((s) => `bb02:${slotOf(base)}:${s}`) } })).map((s) => s._id).sort();
    expect(ids).toEqual([0, 1, 2, 3].map((s) => `bb02:${slotOf(base)}:${s}`));
    const all = [...a, ...b, ...c, ...d].map((e) => e._id);
    expect((await repo.findByRequestIds(all)).map((e) => e._id).sort()).toEqual([...all].sort());
  });

  it('reads every segment of a busy second (more than one read window)', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => minted('cc03', i * 10));
    for (const [i, id] of ids.entries()) await repo.insertBatch([entry(id, 7_000 + i)]);
    expect(await stored({ _id: `cc03:${slotOf(base)}:10` })).toHaveLength(1);
    expect((await repo.findByRequestIds([ids[0], ids[10]])).map((e) => e._id).sort()).toEqual([ids[0], ids[10]].sort());
  });
});
