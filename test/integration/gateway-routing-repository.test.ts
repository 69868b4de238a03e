import { RoutingRepository, routingTableId, type TableWrite } from '../../infra/mongo/routing-repository';
import { createTestMongo, type TestMongo } from '../helpers/services';

/** The routing repository on the real MongoDB-wire server: revisions are handed out exactly once. */
let m: TestMongo;
beforeAll(async () => {
  m = await createTestMongo('routing_repo');
  await new RoutingRepository(m.db).ensureIndexes();
});
afterAll(() => m.close());

const write = (modelId: string, weight = 100, updatedBy = 'test'): TableWrite => ({
  modelId,
  modelName: `model-${modelId}`,
  environment: 'Production',
  pools: [{ versionId: 'v1', version: '1.0.0', weight, role: 'primary' }],
  shadow: null,
  sticky: null,
  cache: null,
  updatedBy,
});

it('creates revision 1, then bumps by one per accepted change; a stale expected revision gets null', async () => {
  const repo = new RoutingRepository(m.db);
  expect((await repo.replace(write('a'), 0))?.revision).toBe(1);
  expect(await repo.replace(write('a'), 0)).toBeNull();
  expect((await repo.replace(write('a'), 1))?.revision).toBe(2);
  expect(await repo.replace(write('a'), 1)).toBeNull();
  expect((await repo.get('a', 'Production'))?.revision).toBe(2);
  expect((await repo.history('a', 'Production')).map((h) => h.revision)).toEqual([2, 1]);
});

it('of many concurrent writers at the same revision exactly one wins', async () => {
  const repo = new RoutingRepository(m.db);
  await repo.replace(write('b'), 0);
  for (let round = 1; round <= 5; round++) {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => repo.replace(write('b', 100, `writer-${i}`), round)));
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const doc = await repo.get('b', 'Production');
    expect(doc).toMatchObject({ revision: round + 1, updatedBy: winners[0].updatedBy });
  }
});

it('a revision claimed by a writer that died before applying it is applied by the next writer', async () => {
  let now = new Date('2030-01-01T00:00:00Z');
  const repo = new RoutingRepository(m.db, () => now);
  await repo.replace(write('c'), 0);
  // a writer claimed revision 2 in the ledger, then crashed before updating the table
  const claimed = { ...write('c', 100, 'crashed'), _id: `${routingTableId('c', 'Production')}@2`, tableId: routingTableId('c', 'Production'), schemaVersion: 1, revision: 2, updatedAt: now };
  await m.db.collection('routing_revisions').insertOne(claimed as never);
  expect(await repo.replace(write('c', 100, 'next'), 1)).toBeNull();
  expect((await repo.get('c', 'Production'))?.revision).toBe(1); // too fresh to be presumed dead
  now = new Date(now.getTime() + 10_000);
  expect(await repo.replace(write('c', 100, 'next'), 1)).toBeNull();
  expect(await repo.get('c', 'Production')).toMatchObject({ revision: 2, updatedBy: 'crashed' });
  expect((await repo.replace(write('c', 100, 'next'), 2))?.revision).toBe(3);
});

it('ensureApplied writes a revision its own earlier attempt claimed but never applied, and never goes back', async () => {
  const repo = new RoutingRepository(m.db);
  await repo.replace(write('e'), 0);
  const tableId = routingTableId('e', 'Production');
  await m.db.collection('routing_revisions').insertOne({ ...write('e', 100, 'attempt-1'), _id: `${tableId}@2`, tableId, schemaVersion: 1, revision: 2, updatedAt: new Date() } as never);
  expect(await repo.ensureApplied('e', 'Production', 2)).toBe(2);
  expect(await repo.get('e', 'Production')).toMatchObject({ revision: 2, updatedBy: 'attempt-1' });
  expect((await repo.replace(write('e', 100, 'later'), 2))?.revision).toBe(3);
  // An older revision is never written over a newer one; an unclaimed one changes nothing.
  expect(await repo.ensureApplied('e', 'Production', 2)).toBe(3);
  expect(await repo.ensureApplied('e', 'Production', 7)).toBe(3);
  expect(await repo.get('e', 'Production')).toMatchObject({ revision: 3, updatedBy: 'later' });
  // A lost update (FerretDB's conditional update is not atomic): revision 2's late write lands over 3.
  const { tableId: _t, ...stale } = (await m.db.collection('routing_revisions').findOne({ _id: `${tableId}@2` as never }))!;
  await m.db.collection('routing_tables').updateOne({ _id: tableId as never }, { $set: { ...stale, _id: tableId } });
  expect((await repo.get('e', 'Production'))?.revision).toBe(2);
  expect(await repo.ensureApplied('e', 'Production', 2)).toBe(3);
  expect(await repo.get('e', 'Production')).toMatchObject({ revision: 3, updatedBy: 'later' });
});

it('routedVersionIds lists versions with traffic (weight > 0, shadow > 0%)', async () => {
  const repo = new RoutingRepository(m.db);
  await repo.replace({ ...write('d'), pools: [{ versionId: 'x1', version: '1.0.0', weight: 100, role: 'primary' }, { versionId: 'x0', version: '0.9.0', weight: 0, role: 'primary' }], shadow: { versionId: 'x2', version: '2.0.0', percentage: 5 } }, 0);
  expect((await repo.routedVersionIds('d')).sort()).toEqual(['x1', 'x2']);
  // Which environments route a version: the primary pool and the shadow count, a 0 % pool does not.
  expect(await repo.routesTo('d', 'x1')).toEqual([{ environment: 'Production', revision: 1 }]);
  expect(await repo.routesTo('d', 'x2')).toEqual([{ environment: 'Production', revision: 1 }]);
  expect(await repo.routesTo('d', 'x0')).toEqual([]);
});
