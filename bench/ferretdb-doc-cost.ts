/**
 * What one stored prediction costs FerretDB (SQLite backend) in CPU, by document shape: one
 * document per prediction (the log's former shape) against smaller ones, and the segments the
 * log stores now (infra/mongo/prediction-segment-codec.ts), per entry. Standalone (not part of `npm run bench`):
 *
 *   npx tsx bench/ferretdb-doc-cost.ts            # 4,000 documents per shape, 25 per insertMany, 3 rounds
 *   FERRET_DOCS=8000 FERRET_BATCH=100 npx tsx bench/ferretdb-doc-cost.ts
 *
 * CPU is FerretDB's own (bench/proc-stats.ts `processCpuMs`, 10 ms resolution) over the inserts.
 */
import { mintRequestId } from '../infra/mongo/prediction-log-address';
import { PredictionLogRepository, type PredictionDoc } from '../infra/mongo/prediction-log-repository';
import { withPrivateFerretDb, runScript } from './private-ferretdb';
import { processCpuMs } from './proc-stats';

const DOCS = Number(process.env.FERRET_DOCS ?? 4000);
const BATCH = Number(process.env.FERRET_BATCH ?? 25);
const ROUNDS = Number(process.env.FERRET_ROUNDS ?? 3);

const features = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };
const outputs = { label: 'fraud', confidence: 0.6197, probabilities: { fraud: 0.6197, legit: 0.3803 } };
const series = { modelId: '665f1c2e9b1d4a0012345678', versionId: '665f1c2e9b1d4a0012345679', environment: 'Production', role: 'primary' };
const meta = { modelName: 'fraud-detection', version: '1.0.0', latencyMs: 1.234, traceId: '0af7651916cd43dd8448eb211c80319c', serverId: 'ms-1' };

/** Shapes, from the prediction log's (api/prediction-log/prediction-recorder.ts `toDoc`) down to an empty document. */
const shapes: Record<string, (id: string) => Record<string, unknown>> = {
  'one document per prediction (former)': (id) => ({ _id: id, requestId: id, time: new Date(), ...series, ...meta, features, outputs, status: 'Completed', cached: false }),
  'features/outputs as JSON text': (id) => ({ _id: id, time: new Date(), ...series, ...meta, features: JSON.stringify(features), outputs: JSON.stringify(outputs), encoded: 'json', status: 'Completed' }),
  'series fields + one JSON body': (id) => ({ _id: id, time: new Date(), ...series, status: 'Completed', body: JSON.stringify({ ...meta, features, outputs }) }),
  '{_id, time} (time index)': (id) => ({ _id: id, time: new Date() }),
  '{_id} only (time index)': (id) => ({ _id: id }),
};

const entry = (id: string): PredictionDoc => ({ _id: id, requestId: id, time: new Date(), ...series, role: 'primary', ...meta, features: { ...features, transaction_amount: Math.random() * 1000 }, outputs, status: 'Completed', cached: false });

const cpuMicros = (pid: number) => processCpuMs(pid) * 1000;

async function main(): Promise<void> {
  await withPrivateFerretDb('hotswap-ferret-cost-', async (client, pid) => {
    console.log(`FerretDB CPU per stored document: ${DOCS} documents per shape, ${BATCH} per insertMany, ${ROUNDS} rounds`);
    let n = 0;
    const results = new Map<string, number[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, make] of Object.entries(shapes)) {
        const col = client.db('cost').collection<Record<string, unknown>>(`r${round}_${Object.keys(shapes).indexOf(name)}`);
        await col.createIndex({ time: 1 });
        const before = cpuMicros(pid);
        for (let i = 0; i < DOCS; i += BATCH) await col.insertMany(Array.from({ length: BATCH }, () => make(`req-${++n}-${round}`)), { ordered: false });
        const perDoc = (cpuMicros(pid) - before) / DOCS;
        results.set(name, [...(results.get(name) ?? []), perDoc]);
      }
    }
    // The log as it is stored: compressed segments per written batch (PredictionLogRepository).
    // Ids the gateway minted (filed by address, no ids array) and ids callers chose (ids index).
    for (const [kind, id] of [['minted ids', () => mintRequestId()], ['chosen ids', () => `req-${++n}`]] as const) {
      for (const per of [25, 100, 250]) {
        const name = `segment of ${per}, ${kind}`;
        for (let round = 1; round <= ROUNDS; round++) {
          const repo = new PredictionLogRepository(client.db(`seg${per}_${kind[0]}_${round}`));
          await repo.ensureIndexes(30);
          const before = cpuMicros(pid);
          for (let i = 0; i < DOCS; i += per) await repo.insertBatch(Array.from({ length: per }, () => entry(id())));
          results.set(name, [...(results.get(name) ?? []), (cpuMicros(pid) - before) / DOCS]);
        }
      }
    }
    for (const [name, runs] of results) console.log(`${name.padEnd(36)} ${runs.map((r) => `${r.toFixed(0).padStart(4)} µs`).join('  ')}`);
  });
}

runScript(main);
