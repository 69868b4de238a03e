/**
 * The feedback collection on the real server: lookups and "counted" marks by request id, in
 * both forms (one `_id` query per id for small batches, one `$in` for large ones).
 */
import { FeedbackRepository, type FeedbackDoc } from '../../infra/mongo/feedback-repository';
import { createTestMongo, type TestMongo } from '../helpers/services';

let m: TestMongo;
let repo: FeedbackRepository;
beforeAll(async () => {
  m = await createTestMongo('feedback-repository');
  repo = new FeedbackRepository(m.db);
  await repo.ensureIndexes();
});
afterAll(async () => m.close());

const doc = (id: string): FeedbackDoc => ({
  _id: id,
  requestId: id,
  modelId: 'm',
  modelName: 'fraud-detection',
  version: '1.0.0',
  versionId: 'v1',
  environment: 'Production',
  role: 'primary',
  predictionTime: new Date(),
  task: 'classification',
  label: 'fraud',
  predictedLabel: 'legit',
  correct: false,
  receivedAt: new Date(),
  by: 'test',
  countFlush: 'fb-1',
  counted: false,
});

it.each([
  ['a few (one wave of _id reads)', 5],
  ['many (three waves of _id reads)', 150],
])('finds and marks %s', async (_name, n) => {
  const ids = Array.from({ length: n }, (_, i) => `fr-${n}-${i}`);
  expect(await repo.insertNew(ids.map(doc))).toEqual({ duplicates: new Set() });
  const asked = [...ids.filter((_, i) => i % 2 === 0), ids[0], `fr-${n}-missing`];
  const found = await repo.findByRequestIds(asked);
  expect(found.map((d) => d._id).sort()).toEqual(ids.filter((_, i) => i % 2 === 0).sort());
  await repo.markCounted([...ids.slice(0, 3), ids[0], `fr-${n}-missing`]);
  const after = await repo.findByRequestIds(ids);
  expect(after.filter((d) => d.counted).map((d) => d._id).sort()).toEqual(ids.slice(0, 3).sort());
  expect(await m.db.collection('feedback').countDocuments({ _id: `fr-${n}-missing` as never })).toBe(0);
  const again = await repo.insertNew([doc(ids[1]), doc(`fr-${n}-new`)]);
  expect([...again.duplicates]).toEqual([ids[1]]);
});

it('finds nothing for no ids', async () => {
  expect(await repo.findByRequestIds([])).toEqual([]);
  await expect(repo.markCounted([])).resolves.toBeUndefined();
});
