import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import { predictionDoc } from '../helpers/prediction-docs';
import { SpillStore } from '../../api/prediction-log/spill-store';

const doc = predictionDoc;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotswap-spill-unit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readAll(store: SpillStore, claimed: string, batch = 2) {
  const out: PredictionDoc[] = [];
  let corrupt = 0;
  for await (const b of store.read(claimed, batch)) {
    out.push(...b.docs);
    corrupt += b.corrupt;
  }
  return { out, corrupt };
}

it('appends JSON lines, seals, claims once, reads back in batches with dates revived', async () => {
  const a = new SpillStore({ dir, instanceId: 'aaa' });
  expect(a.append([doc(1), doc(2), doc(3)])).toBe(3);
  expect(fs.readdirSync(dir)[0]).toMatch(/^spill-\d+-aaa-\d+-0\.open$/);
  // Not replayable while open by a live instance (another instance's view).
  const b = new SpillStore({ dir, instanceId: 'bbb' });
  expect(b.replayable()).toEqual([]);
  a.seal();
  const [file] = b.replayable();
  expect(file).toMatch(/\.ndjson$/);
  const claimed = b.claim(file)!;
  expect(a.claim(file)).toBeUndefined(); // someone else has it
  const { out } = await readAll(b, claimed);
  expect(out).toEqual([doc(1), doc(2), doc(3)]);
  b.remove(claimed);
  expect(fs.readdirSync(dir)).toEqual([]);
  a.close();
  b.close();
});

it('gives a claimed segment back when a replay fails', () => {
  const a = new SpillStore({ dir, instanceId: 'ccc' });
  a.append([doc(1)]);
  a.seal();
  const claimed = a.claim(a.replayable()[0])!;
  expect(claimed).toMatch(/\.replay-ccc-\d+$/);
  a.release(claimed);
  expect(a.replayable()).toHaveLength(1);
  a.close();
});

it('adopts segments of a process that is gone (left open or claimed)', () => {
  // A pid that surely is not running: a child that already exited.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  fs.writeFileSync(path.join(dir, `spill-1-old-${dead}-0.open`), `${JSON.stringify(doc(1))}\n`);
  fs.writeFileSync(path.join(dir, `spill-2-old-${dead}-1.replay-old-${dead}`), `${JSON.stringify(doc(2))}\n`);
  fs.writeFileSync(path.join(dir, `spill-3-live-${process.pid}-0.open`), `${JSON.stringify(doc(3))}\n`);
  fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'x');
  const live = new SpillStore({ dir, instanceId: 'live' });
  const s = new SpillStore({ dir, instanceId: 'ddd' });
  expect(s.replayable()).toEqual([`spill-1-old-${dead}-0.open`, `spill-2-old-${dead}-1.replay-old-${dead}`]);
  live.close();
  // Once that instance of this process has closed, its open segment is an orphan too.
  expect(s.replayable()).toHaveLength(3);
  s.close();
});

it('counts unreadable lines instead of failing', async () => {
  const s = new SpillStore({ dir, instanceId: 'eee' });
  s.append([doc(1)]);
  s.seal();
  const file = s.replayable()[0];
  fs.appendFileSync(path.join(dir, file), 'not json\n{"_id":"half');
  const { out, corrupt } = await readAll(s, s.claim(file)!, 10);
  expect(out.map((d) => d._id)).toEqual(['r1']);
  expect(corrupt).toBe(2);
  s.close();
});

it('skips documents that cannot be serialised and rotates large segments', () => {
  const s = new SpillStore({ dir, instanceId: 'fff', maxSegmentBytes: 300 });
  const cyclic: any = doc(9);
  cyclic.features = {};
  cyclic.features.self = cyclic.features;
  expect(s.append([doc(1), cyclic])).toBe(1);
  for (let i = 0; i < 5; i++) s.append([doc(i)]);
  s.close();
  expect(fs.readdirSync(dir).length).toBeGreaterThan(1);
  expect(() => s.append([doc(1)])).toThrow('closed');
});
