import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import { predictionDoc } from '../helpers/prediction-docs';
import { PredictionJournal } from '../../api/prediction-log/journal';
import { SpillStore } from '../../api/prediction-log/spill-store';

const doc = predictionDoc;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-journal-unit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const files = () => fs.readdirSync(dir).sort();
const lines = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean);

async function replayAll(store: SpillStore): Promise<string[]> {
  const ids: string[] = [];
  for (const f of store.replayable()) {
    const claimed = store.claim(f)!;
    for await (const b of store.read(claimed, 100)) ids.push(...b.docs.map((d) => d._id));
    store.remove(claimed);
  }
  return ids;
}

it('writes what was appended with one commit, and nobody replays the journal of a live instance', async () => {
  const j = new PredictionJournal({ dir, instanceId: 'aaaj' });
  const docs = [doc(1), doc(2), doc(3)];
  for (const d of docs) j.append(d);
  expect(files()).toHaveLength(1);
  expect(files()[0]).toMatch(/^spill-\d+-aaaj-\d+-0\.journal$/);
  expect(lines(files()[0])).toHaveLength(0);
  j.commit();
  expect(lines(files()[0]).map((l) => (JSON.parse(l) as PredictionDoc)._id)).toEqual(['r1', 'r2', 'r3']);

  const other = new SpillStore({ dir, instanceId: 'bbb' });
  expect(other.replayable()).toEqual([]);
  expect(other.countSegments()).toBe(0);
  other.close();
});

it('commits by itself at the end of the event-loop turn', async () => {
  const j = new PredictionJournal({ dir, instanceId: 'turnj' });
  j.append(doc(1));
  await new Promise((r) => setImmediate(r));
  expect(lines(files()[0])).toHaveLength(1);
  j.settle([doc(1)]); // not this object: nothing settles
  expect(j.segments).toBe(1);
});

it('deletes a segment once every entry in it is settled, and keeps one that still has outstanding entries', async () => {
  let now = 1_000_000;
  const spy = jest.spyOn(Date, 'now').mockImplementation(() => now);
  try {
    const j = new PredictionJournal({ dir, instanceId: 'rotj', rotateMs: 100 });
    const first = [doc(1), doc(2)];
    first.forEach((d) => j.append(d));
    now += 150;
    const second = [doc(3)];
    j.append(second[0]); // rotates: the first segment is sealed with 2 outstanding
    j.commit();
    expect(files()).toHaveLength(2);
    j.settle([first[0]]);
    expect(files()).toHaveLength(2);
    j.settle([first[1]]);
    expect(files()).toHaveLength(1);
    expect(lines(files()[0]).map((l) => (JSON.parse(l) as PredictionDoc)._id)).toEqual(['r3']);
    // The current segment, all settled and older than rotateMs, goes too.
    now += 150;
    j.settle(second);
    expect(files()).toEqual([]);
    expect(j.segments).toBe(0);
    j.close();
  } finally {
    spy.mockRestore();
  }
});

it('leaves unsettled entries for the next process: once the instance is gone its segments are replayable', async () => {
  const j = new PredictionJournal({ dir, instanceId: 'deadj' });
  const docs = [doc(1), doc(2), doc(3)];
  docs.forEach((d) => j.append(d));
  j.settle([docs[0]]);
  j.close(); // like a crash: r2 and r3 never reached MongoDB
  const next = new SpillStore({ dir, instanceId: 'next' });
  expect(next.countSegments()).toBe(1);
  // The segment holds all three (r1 settled but not yet deleted): replays may repeat entries, never lose them.
  expect(await replayAll(next)).toEqual(['r1', 'r2', 'r3']);
  expect(files()).toEqual([]);
  next.close();
});

it('a clean close with everything settled leaves nothing behind', () => {
  const j = new PredictionJournal({ dir, instanceId: 'cleanj' });
  const docs = [doc(1), doc(2)];
  docs.forEach((d) => j.append(d));
  j.commit();
  j.settle(docs);
  j.close();
  expect(files()).toEqual([]);
  j.append(doc(3)); // closed: ignored
  expect(files()).toEqual([]);
});
