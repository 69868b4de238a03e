/**
 * Looking up feedback by request id on FerretDB (SQLite backend): the repository's `_id` reads
 * (FeedbackRepository#findByRequestIds, 64 in flight at a time) side by side with one `$in`
 * query for the same ids, over a collection of FEEDBACK_DOCS documents. Standalone (not part
 * of `npm run bench`):
 *
 *   npx tsx bench/feedback-lookup.ts                     # 20,000 documents, 1,000 ids asked, 3 rounds
 *   FEEDBACK_DOCS=50000 FEEDBACK_ASKED=200 npx tsx bench/feedback-lookup.ts
 */
import { FeedbackRepository, type FeedbackDoc } from '../infra/mongo/feedback-repository';
import { runScript, withPrivateFerretDb } from './private-ferretdb';

const DOCS = Number(process.env.FEEDBACK_DOCS ?? 20_000);
const ASKED = Number(process.env.FEEDBACK_ASKED ?? 1000);
const ROUNDS = Number(process.env.FEEDBACK_ROUNDS ?? 3);

const doc = (i: number): FeedbackDoc => ({
  _id: `req-${i}`,
  requestId: `req-${i}`,
  modelId: '665f1c2e9b1d4a0012345678',
  modelName: 'fraud-detection',
  version: '1.0.0',
  versionId: '665f1c2e9b1d4a0012345679',
  environment: 'Production',
  role: 'primary',
  predictionTime: new Date(),
  task: 'classification',
  label: i % 3 === 0 ? 'fraud' : 'legit',
  predictedLabel: 'legit',
  correct: i % 3 !== 0,
  receivedAt: new Date(),
  by: 'bench',
  countFlush: `f-${i}`,
  counted: false,
});

async function main(): Promise<void> {
  await withPrivateFerretDb('hotswap-feedback-lookup-', async (client) => {
    const repo = new FeedbackRepository(client.db('lookup'));
    await repo.ensureIndexes();
    for (let i = 0; i < DOCS; i += 1000) await repo.insertNew(Array.from({ length: Math.min(1000, DOCS - i) }, (_, k) => doc(i + k)));
    console.log(`feedback lookups on FerretDB: ${ASKED} distinct ids asked (a fifth of them missing) among ${DOCS} documents`);
    for (let round = 1; round <= ROUNDS; round++) {
      const ids = Array.from({ length: ASKED }, (_, k) => `req-${Math.floor(((k * 7919 + round * 104_729) % ASKED) * (DOCS / ASKED) * 1.25)}`);
      let t = performance.now();
      const byReads = await repo.findByRequestIds(ids);
      const readsMs = performance.now() - t;
      t = performance.now();
      const byIn = await repo.col.find({ _id: { $in: [...new Set(ids)] } }).toArray();
      const inMs = performance.now() - t;
      if (byReads.length !== byIn.length) throw new Error(`the two lookups disagree: ${byReads.length} vs ${byIn.length} found`);
      console.log(`round ${round}: _id reads (repository) ${readsMs.toFixed(0)} ms, one $in ${inMs.toFixed(0)} ms; ${byReads.length} found`);
    }
  });
}

runScript(main);
