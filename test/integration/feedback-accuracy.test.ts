/**
 * Ground truth: POST /api/v1/inference/{model}/feedback against predictions recorded through
 * the sink. Accuracy of the fraud-detection sample set equals its known value; validation,
 * idempotency and conflicts; predictions still in a buffer (this process's or another's);
 * shadow accuracy; MAE/RMSE for regression.
 */
// Side effect first: lets onnxruntime-node's native typed arrays pass jest's realm checks.
import '../helpers/model-server-harness';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileFeatureEncoder, compileOutputDecoder } from '../../domain/feature-schema';
import type { PredictionRecord } from '../../api/gateway/prediction-sink';
import { startTestApi, type TestApi } from '../helpers/api-harness';
import { exampleModel, uploadForm, versionBody } from '../helpers/example-models';

jest.setTimeout(120_000);

const v1 = exampleModel('fraud-detection', '1.0.0');
const v2 = exampleModel('fraud-detection', '2.0.0');
const samples = JSON.parse(readFileSync(join(v1.dir, 'samples.json'), 'utf8')) as { instances: Record<string, unknown>[]; labels: string[] };

let a: TestApi;
let slow: TestApi;
let ds: string;
let appToken: string;
let modelId: string;
const versionIds: Record<string, string> = {};
let predictedV1: string[] = [];
let predictedV2: string[] = [];

/** Runs a committed example model in-process (what a model server would answer). */
async function predictAll(model: ReturnType<typeof exampleModel>): Promise<{ label: string; probabilities: Record<string, number> }[]> {
  const encoder = compileFeatureEncoder(model.metadata.inputSchema);
  const decoder = compileOutputDecoder(model.metadata.outputSchema);
  const encoded = encoder.encodeMany(samples.instances);
  if (encoded.kind !== 'dense') throw new Error('expected a dense encoding');
  const session = await ort.InferenceSession.create(join(model.dir, 'model.onnx'));
  try {
    const input = model.metadata.inputSchema['x-hotswap-tensor'].name as string;
    const out = await session.run({ [input]: new ort.Tensor('float32', encoded.data, [encoded.rows, encoded.width]) }, [...decoder.fetches]);
    return samples.instances.map((_, i) => decoder.decodeRow(out as never, i).prediction as { label: string; probabilities: Record<string, number> });
  } finally {
    await session.release();
  }
}

function record(t: TestApi, r: Partial<PredictionRecord> & Pick<PredictionRecord, 'requestId'>): void {
  t.api.predictions.record({
    time: new Date(Date.now() - 60_000),
    modelId,
    modelName: 'fraud-detection',
    version: '1.0.0',
    versionId: versionIds['1.0.0'],
    environment: 'Production',
    role: 'primary',
    features: {},
    outputs: { label: 'legit', probabilities: { legit: 0.9, fraud: 0.1 } },
    latencyMs: 1,
    status: 'Completed',
    ...r,
  });
}

const feedback = (t: TestApi, body: unknown, token = appToken, model = 'fraud-detection') => t.call('POST', `/api/v1/inference/${model}/feedback`, { token, body });
const metrics = async (query: string) => (await a.call('GET', `/api/v1/models/${modelId}/metrics?${query}`, { token: ds })).body;

beforeAll(async () => {
  a = await startTestApi({ PREDICTION_LOG_FLUSH_MS: '50', METRICS_FLUSH_MS: '200', RATE_LIMIT_REGISTER_PER_MIN: '1000' });
  // A second api on the same database that keeps predictions in memory for a minute.
  slow = await startTestApi({ MONGODB_DB: a.config.MONGODB_DB, JWT_SECRET: a.config.JWT_SECRET, PREDICTION_LOG_FLUSH_MS: '60000' });
  ds = await a.tokenFor('DataScientist');
  appToken = await a.tokenFor('Application');
  const created = await a.call('POST', '/api/v1/models', { token: ds, rawBody: uploadForm({ ...v1.metadata, name: 'fraud-detection' }, v1.onnx) });
  expect(created.status).toBe(201);
  modelId = created.body.modelId;
  versionIds['1.0.0'] = created.body.versionId;
  const second = await a.call('POST', `/api/v1/models/${modelId}/versions`, { token: ds, rawBody: uploadForm(versionBody(v2.metadata), v2.onnx) });
  versionIds['2.0.0'] = second.body.versionId;
  const [p1, p2] = await Promise.all([predictAll(v1), predictAll(v2)]);
  predictedV1 = p1.map((p) => p.label);
  predictedV2 = p2.map((p) => p.label);
  // Primaries by v1, shadow copies by v2, as the gateway records them.
  samples.instances.forEach((features, i) => {
    record(a, { requestId: `s-${i}`, features, outputs: p1[i] });
    record(a, { requestId: `s-${i}:shadow`, primaryRequestId: `s-${i}`, primaryOutputs: p1[i], role: 'shadow', version: '2.0.0', versionId: versionIds['2.0.0'], features, outputs: p2[i] });
  });
});

afterAll(async () => {
  await slow?.close();
  await a?.close();
});

it("gives the sample set's known accuracy (and the shadow version's)", async () => {
  const expectedV1 = predictedV1.filter((p, i) => p === samples.labels[i]).length / samples.labels.length;
  const expectedV2 = predictedV2.filter((p, i) => p === samples.labels[i]).length / samples.labels.length;
  // The committed baselines were measured on the same samples.
  expect(expectedV1).toBeCloseTo(JSON.parse(readFileSync(join(v1.dir, 'baseline.json'), 'utf8')).accuracy, 9);
  expect(expectedV2).toBeCloseTo(JSON.parse(readFileSync(join(v2.dir, 'baseline.json'), 'utf8')).accuracy, 9);

  const items = samples.labels.map((label, i) => ({ requestId: `s-${i}`, label }));
  const first = await feedback(a, { feedback: items.slice(0, 300) });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ modelId, modelName: 'fraud-detection', recorded: 300, duplicates: 0 });
  expect(first.body.results[0]).toEqual({ requestId: 's-0', status: 'Recorded', version: '1.0.0', environment: 'Production', role: 'primary', correct: predictedV1[0] === samples.labels[0], shadowsCounted: 1 });
  const rest = await feedback(a, { feedback: items.slice(300) });
  expect(rest.body.recorded).toBe(200);

  const m1 = await metrics('window=PT1H&version=1.0.0');
  expect(m1.metrics.labelledCount).toBe(500);
  expect(m1.metrics.accuracy).toBeCloseTo(expectedV1, 6);
  expect(m1.metrics.accuracy).toBe(0.844);
  const m2 = await metrics('window=PT1H&version=2.0.0');
  expect(m2.metrics.accuracy).toBe(0.894);
  expect(m2.metrics.accuracy).toBeCloseTo(expectedV2, 6);
  // Shadow agreement was counted when the shadow predictions were recorded.
  const agreement = predictedV1.filter((p, i) => p === predictedV2[i]).length / 500;
  expect(m2.metrics.shadowAgreement).toBeCloseTo(agreement, 6);
  // The model overall counts what callers were served (v1's primaries).
  expect((await metrics('window=PT1H')).metrics.accuracy).toBe(0.844);
  const stored = await a.api.mongo.db.collection('feedback').findOne({ _id: 's-7' as never });
  expect(stored).toMatchObject({ label: samples.labels[7], predictedLabel: predictedV1[7], version: '1.0.0', role: 'primary', countFlush: expect.stringMatching(/^fb-/), by: expect.stringMatching(/^application-/) });
  // Counted: the submission's flush id is recorded once, not a flag per item.
  expect(await a.api.mongo.db.collection('feedback_counts').findOne({ _id: stored!.countFlush })).toMatchObject({ at: expect.any(Date) });
});

it('is idempotent for the same truth and refuses a different one (409)', async () => {
  const same = await feedback(a, { requestId: 's-0', label: samples.labels[0] });
  expect(same.status).toBe(200);
  expect(same.body).toMatchObject({ recorded: 0, duplicates: 1, results: [{ requestId: 's-0', status: 'Duplicate' }] });
  const other = samples.labels[0] === 'fraud' ? 'legit' : 'fraud';
  const changed = await feedback(a, { feedback: [{ requestId: 's-1', label: samples.labels[1] }, { requestId: 's-0', label: other }] });
  expect(changed.status).toBe(409);
  expect(changed.body.error.code).toBe('CONFLICT');
  expect(changed.body.error.details).toEqual([{ field: 'feedback[1]', message: expect.stringContaining(`already has ground truth (label "${samples.labels[0]}")`) }]);
  expect((await metrics('window=PT1H&version=1.0.0')).metrics.labelledCount).toBe(500);
});

it('counts truth whose first submission died before counting it when it is sent again, once', async () => {
  // What a process killed between storing the truth and counting it leaves behind: the
  // feedback document, no counted-flush record, no bucket increments.
  const received = new Date(Date.now() - 31_000);
  const interrupted = (i: number) => ({
    _id: `s-${i}`, requestId: `s-${i}`, modelId, modelName: 'fraud-detection', version: '1.0.0', versionId: versionIds['1.0.0'], environment: 'Production', role: 'primary',
    predictionTime: new Date(Date.now() - 60_000), task: 'classification', label: samples.labels[i], predictedLabel: predictedV1[i], correct: samples.labels[i] === predictedV1[i],
    receivedAt: received, by: 'application-x', countFlush: 'fb-interrupted', counted: false,
  });
  await a.api.mongo.db.collection('feedback').insertMany([interrupted(400), interrupted(401)].map((d) => ({ ...d, _id: `late-${d._id}`, requestId: `late-${d._id}` })) as never[]);
  for (const i of [400, 401]) record(a, { requestId: `late-s-${i}`, features: samples.instances[i], outputs: { label: predictedV1[i], probabilities: {} } });
  const before = (await metrics('window=PT1H&version=1.0.0')).metrics.labelledCount as number;

  const again = await feedback(a, { feedback: [400, 401].map((i) => ({ requestId: `late-s-${i}`, label: samples.labels[i] })) });
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ recorded: 0, duplicates: 2 });
  // Counted before the answer.
  expect((await metrics('window=PT1H&version=1.0.0')).metrics.labelledCount).toBe(before + 2);
  const docs = await a.api.mongo.db.collection('feedback').find({ _id: { $in: ['late-s-400', 'late-s-401'] } as never }).toArray();
  expect(docs.map((d) => d.counted)).toEqual([true, true]);

  // Sent a third time: already counted, so nothing more.
  expect((await feedback(a, { requestId: 'late-s-400', label: samples.labels[400] })).body).toMatchObject({ duplicates: 1 });
  await new Promise((r) => setTimeout(r, 400));
  expect((await metrics('window=PT1H&version=1.0.0')).metrics.labelledCount).toBe(before + 2);
});

it('does not count again truth whose submission recorded its flush as counted', async () => {
  const received = new Date(Date.now() - 31_000);
  await a.api.mongo.db.collection('feedback').insertOne({
    _id: 'done-1', requestId: 'done-1', modelId, modelName: 'fraud-detection', version: '1.0.0', versionId: versionIds['1.0.0'], environment: 'Production', role: 'primary',
    predictionTime: new Date(Date.now() - 60_000), task: 'classification', label: samples.labels[402], predictedLabel: predictedV1[402], correct: true,
    receivedAt: received, by: 'application-x', countFlush: 'fb-finished', counted: false,
  } as never);
  await a.api.mongo.db.collection('feedback_counts').insertOne({ _id: 'fb-finished', at: received } as never);
  record(a, { requestId: 'done-1', features: samples.instances[402], outputs: { label: predictedV1[402], probabilities: {} } });
  const before = (await metrics('window=PT1H&version=1.0.0')).metrics.labelledCount as number;
  expect((await feedback(a, { requestId: 'done-1', label: samples.labels[402] })).body).toMatchObject({ duplicates: 1 });
  await new Promise((r) => setTimeout(r, 400));
  expect((await metrics('window=PT1H&version=1.0.0')).metrics.labelledCount).toBe(before);
  expect(await a.api.mongo.db.collection('feedback').findOne({ _id: 'done-1' as never })).toMatchObject({ counted: false });
});

describe('validation (all or nothing)', () => {
  it('404 with a detail per unknown request id, and stores none of the request', async () => {
    record(a, { requestId: 'v-ok' });
    const res = await feedback(a, { feedback: [{ requestId: 'v-ok', label: 'fraud' }, { requestId: 'no-such-request', label: 'fraud' }] });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(res.body.error.details).toEqual([{ field: 'feedback[1].requestId', message: expect.stringContaining('no prediction no-such-request of model fraud-detection') }]);
    expect(await a.api.mongo.db.collection('feedback').countDocuments({ _id: 'v-ok' as never })).toBe(0);
  });

  it.each([
    ['a label outside the classes', { requestId: 'v-ok', label: 'maybe' }, 'feedback[0].label', '"maybe" is not a class of version 1.0.0 (legit, fraud)'],
    ['a value for a classifier', { requestId: 'v-ok', value: 1 }, 'feedback[0].label', 'is a classifier: send "label"'],
  ])('400 for %s', async (_name, item, field, message) => {
    const res = await feedback(a, { feedback: [item] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  it.each([
    ['both label and value', { requestId: 'v-ok', label: 'fraud', value: 1 }, 'label'],
    ['neither', { requestId: 'v-ok' }, 'label'],
    ['an empty batch', { feedback: [] }, 'feedback'],
    ['unknown fields', { requestId: 'v-ok', label: 'fraud', note: 'x' }, 'note'],
  ])('400 for %s', async (_name, body, field) => {
    const res = await feedback(a, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('400 for a failed or shadow prediction, 404 for another model or an unknown model', async () => {
    record(a, { requestId: 'v-failed', status: 'Failed', errorCode: 'SERVICE_UNAVAILABLE', outputs: null });
    const failed = await feedback(a, { requestId: 'v-failed', label: 'fraud' });
    expect(failed.status).toBe(400);
    expect(failed.body.error.details[0].message).toContain('the prediction failed (SERVICE_UNAVAILABLE)');
    const shadow = await feedback(a, { requestId: 's-3:shadow', label: 'fraud' });
    expect(shadow.status).toBe(400);
    expect(shadow.body.error.details[0].message).toContain('shadow');
    record(a, { requestId: 'v-other-model', modelId: 'some-other-model' });
    const other = await feedback(a, { requestId: 'v-other-model', label: 'fraud' });
    expect(other.status).toBe(404);
    const unknownModel = await feedback(a, { requestId: 'v-ok', label: 'fraud' }, appToken, 'no-such-model');
    expect(unknownModel.status).toBe(404);
    expect(unknownModel.body.error.code).toBe('MODEL_NOT_FOUND');
    expect((await a.call('POST', '/api/v1/inference/fraud-detection/feedback', { body: { requestId: 'v-ok', label: 'fraud' } })).status).toBe(401);
    // The request that was refused for its other item can now be stored on its own.
    expect((await feedback(a, { requestId: 'v-ok', label: 'fraud' })).body.recorded).toBe(1);
  });
});

it('finds predictions still in a buffer: this process first, another replica after a short wait', async () => {
  record(slow, { requestId: 'buffered-1' });
  const here = await feedback(slow, { requestId: 'buffered-1', label: 'fraud' });
  expect(here.status).toBe(200);
  expect(here.body.results[0]).toMatchObject({ status: 'Recorded', correct: false });
  expect(await a.api.predictions.predictions.findByRequestIds(['buffered-1'])).toEqual([]);

  record(slow, { requestId: 'buffered-2' });
  setTimeout(() => void slow.api.predictions.flush(), 30);
  const elsewhere = await feedback(a, { requestId: 'buffered-2', label: 'legit' });
  expect(elsewhere.status).toBe(200);
  expect(elsewhere.body.results[0]).toMatchObject({ status: 'Recorded', correct: true });
});

it('MAE and RMSE for a regression model', async () => {
  const meta = { ...v1.metadata, name: 'price-model', type: 'Regression', outputSchema: { type: 'object', properties: { value: { type: 'number' } }, 'x-hotswap-outputs': { task: 'regression', valueOutput: 'label' } } };
  const created = await a.call('POST', '/api/v1/models', { token: ds, rawBody: uploadForm(meta, v1.onnx) });
  expect(created.status).toBe(201);
  const base = { modelId: created.body.modelId, modelName: 'price-model', versionId: created.body.versionId };
  // prediction − truth: 1, −3, 0.5, 2 → MAE 6.5/4 = 1.625, RMSE √(14.25/4).
  const cases = [[11, 10], [2, 5], [3.5, 3], [102, 100]] as const;
  cases.forEach(([predicted], i) => record(a, { ...base, requestId: `price-${i}`, outputs: { value: predicted } }));
  const res = await feedback(a, { feedback: cases.map(([, truth], i) => ({ requestId: `price-${i}`, value: truth })) }, appToken, 'price-model');
  expect(res.status).toBe(200);
  expect(res.body.results.map((r: { error: number }) => r.error)).toEqual([1, -3, 0.5, 2]);
  const m = (await a.call('GET', `/api/v1/models/price-model/metrics?window=PT1H&version=1.0.0`, { token: ds })).body.metrics;
  expect(m).toMatchObject({ mae: 1.625, accuracy: null, labelledCount: 4 });
  expect(m.rmse).toBeCloseTo(Math.sqrt(14.25 / 4), 6);
  const label = await feedback(a, { requestId: 'price-0', label: 'high' }, appToken, 'price-model');
  expect(label.status).toBe(400);
  expect(label.body.error.details[0]).toEqual({ field: 'feedback[0].value', message: 'version 1.0.0 is a regression model: send "value"' });
});
