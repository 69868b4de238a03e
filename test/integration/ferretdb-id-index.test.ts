/**
 * The test stack's FerretDB is built by scripts/setup-tools.sh with one fix: FerretDB 1.24
 * looks `_id` up by an expression its `_id` index is not built on, so SQLite scanned the whole
 * table for every `_id` read, update and delete. With the fix SQLite's plan searches the index.
 * (Against an unpatched build the plan says SCAN and this fails.)
 */
import { createTestMongo, type TestMongo } from '../helpers/services';

let m: TestMongo;
beforeAll(async () => {
  m = await createTestMongo('ferretdb-id-index');
  await m.db.collection<{ _id: string; n: number }>('docs').insertMany([
    { _id: 'a', n: 1 },
    { _id: 'b', n: 2 },
  ]);
});
afterAll(async () => m.close());

it('finds by _id through the _id index (updates and deletes use the same lookup)', async () => {
  const explained = await m.db.command({ explain: { find: 'docs', filter: { _id: 'a' } } });
  expect(explained.serverInfo.ferretdbVersion).toBe('v1.24.2');
  const plan = JSON.stringify(explained.queryPlanner);
  expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
  expect(plan).not.toMatch(/SCAN/);
});
