/**
 * Explanations and fairness through the real gateway, a real model server and the real API.
 * `?explain=true` on the fraud-detection example answers KernelSHAP attributions that equal the
 * Shapley values computed here by their definition (the model run in-process with ONNX Runtime,
 * the same background rows); versions that cannot be explained are refused before the model is
 * called. A version registered with fairness.sensitiveAttributes gets per-group accuracy, positive rate and
 * count in the metrics API from the feedback posted on its predictions.
 */
// Side effect first: lets onnxruntime-node's native typed arrays pass jest's realm checks.
import '../helpers/model-server-harness';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileFeatureEncoder, compileOutputDecoder } from '../../domain/feature-schema';
import type { TestModelServer } from '../helpers/model-server-harness';
import { exampleModel, uploadForm } from '../helpers/example-models';
import { FRAUD, fraudRow, loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, waitForReady, type GatewayApi } from '../helpers/gateway-harness';

jest.setTimeout(120_000);

const fraud = exampleModel('fraud-detection', '1.0.0');
const samples = JSON.parse(readFileSync(join(fraud.dir, 'samples.json'), 'utf8')) as { instances: Record<string, unknown>[] };
const FEATURES = ['transaction_amount', 'merchant_category', 'user_age_days', 'transaction_hour', 'is_international'];
const BACKGROUND = 16;

let t: GatewayApi;
let server: TestModelServer;
let admin: string;
let app: string;

const infer = (model: string, body: unknown, query = '?explain=true') => t.call('POST', `/api/v1/inference/${model}${query}`, { token: app, body });

/** The fraud model's probability of `cls` for each row, run in this process. */
async function probabilities(rows: Record<string, unknown>[], cls: string): Promise<number[]> {
  const encoded = compileFeatureEncoder(fraud.metadata.inputSchema).encodeMany(rows);
  if (encoded.kind !== 'dense') throw new Error('expected a dense encoding');
  const decoder = compileOutputDecoder(fraud.metadata.outputSchema);
  const session = await ort.InferenceSession.create(join(fraud.dir, 'model.onnx'));
  try {
    const out = await session.run({ [fraud.metadata.inputSchema['x-hotswap-tensor'].name]: new ort.Tensor('float32', encoded.data, [encoded.rows, encoded.width]) }, [...decoder.fetches]);
    return rows.map((_, i) => (decoder.decodeRow(out as never, i).prediction as { probabilities: Record<string, number> }).probabilities[cls]);
  } finally {
    await session.release();
  }
}

/** Shapley values by their definition over all 2^5 coalitions, v(S) = mean over the background of f(x_S, b_¬S). */
async function shapleyByDefinition(x: Record<string, unknown>, background: Record<string, unknown>[], cls: string): Promise<Record<string, number>> {
  const m = FEATURES.length;
  const rows: Record<string, unknown>[] = [];
  for (let s = 0; s < 2 ** m; s++) for (const b of background) rows.push({ ...b, ...Object.fromEntries(FEATURES.filter((_, i) => s & (1 << i)).map((f) => [f, x[f]])) });
  const p = await probabilities(rows, cls);
  const v = (s: number) => p.slice(s * background.length, (s + 1) * background.length).reduce((a, b) => a + b, 0) / background.length;
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi: Record<string, number> = {};
  FEATURES.forEach((f, i) => {
    phi[f] = 0;
    for (let s = 0; s < 2 ** m; s++) {
      if (s & (1 << i)) continue;
      const size = [...s.toString(2)].filter((c) => c === '1').length;
      phi[f] += ((fact(size) * fact(m - size - 1)) / fact(m)) * (v(s | (1 << i)) - v(s));
    }
  });
  return phi;
}

const SENSITIVE = ['is_international', 'merchant_category'];

/** fraud-detection 1.0.0 as "fraud-fair", declaring sensitive attributes. */
async function registerFair() {
  const form = uploadForm({ ...fraud.metadata, name: 'fraud-fair', fairness: { sensitiveAttributes: SENSITIVE } }, fraud.onnx);
  const res = await t.call('POST', '/api/v1/models', { token: admin, rawBody: form });
  if (res.status !== 201) throw new Error(`registering fraud-fair failed: ${res.status} ${JSON.stringify(res.body)}`);
  const v = (await t.call('GET', '/api/v1/models/fraud-fair/versions/1.0.0', { token: admin })).body;
  return { modelId: v.modelId, modelName: 'fraud-fair', versionId: v.versionId, version: '1.0.0', artifactKey: String(v.artifactPath).replace(/^fs:\/\//, ''), checksum: v.checksum, inputSchema: v.inputSchema, outputSchema: v.outputSchema };
}

beforeAll(async () => {
  t = await startGatewayApi({ env: { SAMPLE_SETS_DIR: join(__dirname, '..', '..', 'examples', 'models'), EXPLAIN_BACKGROUND_ROWS: String(BACKGROUND) } });
  admin = await t.tokenFor('Admin');
  app = await t.tokenFor('Application');
  const versions = [
    await registerExample(t, admin, 'fraud-detection', '1.0.0'),
    await registerExample(t, admin, 'fraud-detection', '1.0.0', 'fraud-unsampled'), // no samples.json under this name
    await registerExample(t, admin, 'sentiment', '1.0.0'),
    await registerFair(),
  ];
  server = await startFleetServer(t);
  for (const v of versions) await loadOn(server, v, { warmupRuns: 0 });
  for (const v of versions) {
    await waitForReady(t, v);
    await setRoute(t, admin, v.modelName, { pools: [{ version: v.version, weight: 100 }] });
  }
});

afterAll(async () => {
  await t?.close();
  await server?.close();
});

describe('POST /api/v1/inference/{model}?explain=true', () => {
  it('answers the prediction with KernelSHAP attributions equal to the Shapley values by definition', async () => {
    const res = await infer('fraud-detection', { features: FRAUD });
    expect(res.status).toBe(200);
    const { prediction, explanation } = res.body;
    const cls = prediction.label as string;
    expect(explanation).toMatchObject({ method: 'kernel-shap', exact: true, output: `probability:${cls}`, samples: 30, background: BACKGROUND, modelRows: 1 + 31 * BACKGROUND });
    expect(explanation.latencyMs).toBeGreaterThan(0);
    expect(explanation.value).toBeCloseTo(prediction.probabilities[cls], 6);

    // The background: BACKGROUND rows picked evenly from examples/models/fraud-detection/1.0.0/samples.json.
    const background = Array.from({ length: BACKGROUND }, (_, i) => samples.instances[Math.floor((i * samples.instances.length) / BACKGROUND)]);
    const base = await probabilities(background, cls);
    expect(explanation.baseValue).toBeCloseTo(base.reduce((a, b) => a + b, 0) / BACKGROUND, 5);
    const expected = await shapleyByDefinition(FRAUD, background, cls);
    expect(Object.keys(explanation.attributions)).toEqual(FEATURES);
    for (const f of FEATURES) expect(explanation.attributions[f]).toBeCloseTo(expected[f], 5);
    const sum = FEATURES.reduce((s, f) => s + explanation.attributions[f], 0);
    expect(explanation.baseValue + sum).toBeCloseTo(explanation.value, 9);
  });

  it('records the explained prediction once, with its own latency, and plain requests carry no explanation', async () => {
    const explained = await infer('fraud-detection', { features: { ...FRAUD, transaction_hour: 11 } }, '?explain=true');
    const plain = await infer('fraud-detection', { features: { ...FRAUD, transaction_hour: 11 } }, '?explain=false');
    expect(plain.status).toBe(200);
    expect(plain.body.explanation).toBeUndefined();
    expect(plain.body.prediction).toEqual(explained.body.prediction);
    await t.sink.waitFor((rs) => rs.some((r) => r.requestId === plain.body.requestId));
    const logged = t.sink.records.filter((r) => r.requestId === explained.body.requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0].latencyMs).toBeLessThan(explained.body.latencyMs - explained.body.explanation.latencyMs + 0.01);
  });

  it.each([
    ['an explain value that is not true or false', 'fraud-detection', '?explain=yes', { features: FRAUD }, /must be true or false/],
    ['a batch request', 'fraud-detection/batch', '?explain=true', { instances: [FRAUD] }, /per prediction/],
    ['an async request', 'fraud-detection', '?explain=true&mode=async', { features: FRAUD }, /synchronously/],
    ['a version without a baseline sample set', 'fraud-unsampled', '?explain=true', { features: FRAUD }, /no baseline sample set/],
    ['a model that is not tabular', 'sentiment', '?explain=true', { features: { text: 'great product' } }, /not tabular/],
  ])('refuses %s with 400 naming explain, and records nothing', async (_name, path, query, body, message) => {
    const before = t.sink.records.length;
    const res = await infer(path, body, query);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([{ field: 'explain', message: expect.stringMatching(message) }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.sink.records.length).toBe(before);
  });
});

describe('fairness: per-group metrics of a version with fairness.sensitiveAttributes', () => {
  it('refuses sensitive attributes that are not features, and stores nothing', async () => {
    const form = uploadForm({ ...fraud.metadata, name: 'fraud-unfair', fairness: { sensitiveAttributes: ['is_international', 'zip_code'] } }, fraud.onnx);
    const res = await t.call('POST', '/api/v1/models', { token: admin, rawBody: form });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ field: 'metadata.fairness.sensitiveAttributes.1', message: '"zip_code" names no feature of the inputSchema' });
    expect((await t.call('GET', '/api/v1/models/fraud-unfair', { token: admin })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/models/fraud-fair/versions/1.0.0', { token: admin })).body.fairness.sensitiveAttributes).toEqual(SENSITIVE);
  });

  it('answers per-group count, accuracy and positive rate, and the gaps, from feedback joined with the logged features', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => fraudRow(i * 7 + 1));
    const answers: { requestId: string; prediction: { label: string } }[] = [];
    for (const features of rows) {
      const r = await t.call('POST', '/api/v1/inference/fraud-fair', { token: app, body: { features } });
      expect(r.status).toBe(200);
      answers.push(r.body as { requestId: string; prediction: { label: string } });
    }
    // Truth: fraud for expensive international transactions, so groups differ in accuracy.
    const labels = rows.map((r) => (r.is_international && r.transaction_amount > 1500 ? 'fraud' : 'legit'));
    const fb = await t.call('POST', '/api/v1/inference/fraud-fair/feedback', { token: app, body: { feedback: answers.map((a, i) => ({ requestId: a.requestId, label: labels[i] })) } });
    expect(fb.status).toBe(200);
    expect(fb.body.recorded).toBe(rows.length);

    const expected = SENSITIVE.map((attribute) => {
      const groups = new Map<string, { count: number; correct: number; positive: number }>();
      rows.forEach((r, i) => {
        const value = typeof r[attribute as keyof typeof r] === 'string' ? String(r[attribute as keyof typeof r]) : JSON.stringify(r[attribute as keyof typeof r]);
        const g = groups.get(value) ?? { count: 0, correct: 0, positive: 0 };
        g.count++;
        if (answers[i].prediction.label === labels[i]) g.correct++;
        if (answers[i].prediction.label === 'fraud') g.positive++;
        groups.set(value, g);
      });
      const list = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([value, g]) => ({ value, count: g.count, accuracy: g.correct / g.count, positiveRate: g.positive / g.count }));
      const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
      return { attribute, list, accuracyGap: spread(list.map((g) => g.accuracy)), positiveRateGap: spread(list.map((g) => g.positiveRate)) };
    });

    const m = await t.call('GET', '/api/v1/models/fraud-fair/metrics?window=PT10M&version=1.0.0', { token: admin });
    expect(m.status).toBe(200);
    expect(m.body.metrics.labelledCount).toBe(rows.length);
    const fairness = m.body.metrics.fairness as { attribute: string; groups: { value: string; count: number; accuracy: number; positiveRate: number }[]; accuracyGap: number; positiveRateGap: number }[];
    expect(fairness.map((a) => a.attribute)).toEqual(['is_international', 'merchant_category']);
    for (const e of expected) {
      const got = fairness.find((a) => a.attribute === e.attribute)!;
      expect(got.groups.map((g) => [g.value, g.count])).toEqual(e.list.map((g) => [g.value, g.count]));
      got.groups.forEach((g, i) => {
        expect(g.accuracy).toBeCloseTo(e.list[i].accuracy, 5);
        expect(g.positiveRate).toBeCloseTo(e.list[i].positiveRate, 5);
      });
      expect(got.accuracyGap).toBeCloseTo(e.accuracyGap, 5);
      expect(got.positiveRateGap).toBeCloseTo(e.positiveRateGap, 5);
    }
    // The same per version in the model-wide answer; a model without sensitive attributes has none.
    const all = await t.call('GET', '/api/v1/models/fraud-fair/metrics?window=PT10M', { token: admin });
    expect(all.body.versions[0].metrics.fairness).toEqual(m.body.metrics.fairness);
    const plain = await t.call('GET', '/api/v1/models/fraud-detection/metrics?window=PT10M&version=1.0.0', { token: admin });
    expect(plain.body.metrics.fairness).toBeUndefined();
  });
});
