/**
 * Data deletion through the real api: one request's data by request id, a model purge that
 * takes every kind of request data with it (the audit records stay), and async requests that
 * expire (FerretDB has no TTL indexes: the api's sweep deletes them).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api-harness';
import { exampleModel, uploadForm } from '../helpers/example-models';
import { until } from '../helpers/until';
import { mintRequestId } from '../../infra/mongo/prediction-log-address';
import type { PredictionRecord } from '../../api/gateway/prediction-sink';

const v1 = exampleModel('fraud-detection', '1.0.0');
let t: TestApi;
let admin: string;
let appToken: string;
const models: Record<string, { modelId: string; versionId: string; artifactKey: string }> = {};

function record(model: string, r: Partial<PredictionRecord> & Pick<PredictionRecord, 'requestId'>): void {
  t.api.predictions.record({
    time: new Date(Date.now() - 60_000),
    modelId: models[model].modelId,
    modelName: model,
    version: '1.0.0',
    versionId: models[model].versionId,
    environment: 'Production',
    role: 'primary',
    features: { email: 'someone@example.com' },
    outputs: { label: 'legit', probabilities: { legit: 0.9, fraud: 0.1 } },
    latencyMs: 1,
    status: 'Completed',
    ...r,
  });
}

const feedback = async (model: string, requestIds: string[]) => {
  const res = await t.call('POST', `/api/v1/inference/${model}/feedback`, { token: appToken, body: { feedback: requestIds.map((requestId) => ({ requestId, label: 'legit' })) } });
  expect(res.status).toBe(200);
};

const acceptAsync = (model: string, id: string, over: Record<string, unknown> = {}) =>
  t.api.gateway.asyncStore.insert({ _id: id, kind: 'single', modelName: model, environment: 'Production', body: '{}', sticky: null, principalId: 'p', traceId: 'tr', traceparent: null, createdAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000), ...over });

const db = () => t.api.mongo.db;
const logged = async (modelId: string) => (await t.api.predictions.predictions.readAll()).filter((d) => d.modelId === modelId).map((d) => d._id).sort();

beforeAll(async () => {
  t = await startTestApi({ PREDICTION_LOG_FLUSH_MS: '50', METRICS_FLUSH_MS: '200', RETENTION_SWEEP_MS: '300', RATE_LIMIT_REGISTER_PER_MIN: '1000' });
  admin = await t.tokenFor('Admin');
  appToken = await t.tokenFor('Application');
  for (const name of ['fraud-detection', 'other-model']) {
    const created = await t.call('POST', '/api/v1/models', { token: admin, rawBody: uploadForm({ ...v1.metadata, name }, v1.onnx) });
    expect(created.status).toBe(201);
    const v = await t.call('GET', `/api/v1/models/${name}/versions/1.0.0`, { token: admin });
    models[name] = { modelId: created.body.modelId, versionId: created.body.versionId, artifactKey: String(v.body.artifactPath).replace(/^fs:\/\//, '') };
  }
}, 60_000);
afterAll(() => t?.close());

describe("deleting one request's data", () => {
  it('removes its predictions (shadow copy and batch rows too), feedback and async request, and nothing else', async () => {
    const minted = mintRequestId();
    const kept = mintRequestId();
    record('fraud-detection', { requestId: minted });
    record('fraud-detection', { requestId: `${minted}:shadow`, primaryRequestId: minted, role: 'shadow' });
    record('fraud-detection', { requestId: kept });
    record('fraud-detection', { requestId: 'caller-chosen:0' });
    record('fraud-detection', { requestId: 'caller-chosen:1' });
    record('fraud-detection', { requestId: 'caller-kept' });
    await t.api.predictions.flush();
    await feedback('fraud-detection', [minted, kept, 'caller-chosen:0', 'caller-kept']);
    await acceptAsync('fraud-detection', minted);
    await acceptAsync('fraud-detection', kept);

    const del = (id: string, token = admin) => t.call('DELETE', `/api/v1/models/fraud-detection/predictions/${id}`, { token });
    expect((await del(minted, await t.tokenFor('DataScientist'))).status).toBe(403);
    const first = await del(minted);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ modelId: models['fraud-detection'].modelId, requestId: minted, deleted: { predictions: 2, feedback: 1, metricBuckets: 0, asyncRequests: 1 } });
    expect((await del('caller-chosen')).body.deleted).toEqual({ predictions: 2, feedback: 1, metricBuckets: 0, asyncRequests: 0 });
    expect((await del(minted)).body.deleted).toEqual({ predictions: 0, feedback: 0, metricBuckets: 0, asyncRequests: 0 });
    expect((await t.call('DELETE', `/api/v1/models/no-such-model/predictions/${kept}`, { token: admin })).status).toBe(404);

    expect(await logged(models['fraud-detection'].modelId)).toEqual([kept, 'caller-kept'].sort());
    expect((await t.call('GET', `/api/v1/models/fraud-detection/predictions/${minted}`, { token: admin })).status).toBe(404);
    expect((await t.call('GET', `/api/v1/models/fraud-detection/predictions/${kept}`, { token: admin })).status).toBe(200);
    expect((await db().collection('feedback').find({}).toArray()).map((f) => f._id).sort()).toEqual([kept, 'caller-kept'].sort());
    expect(await t.api.gateway.asyncStore.get(minted)).toBeNull();
    expect(await t.api.gateway.asyncStore.get(kept)).not.toBeNull();

    const audited = await t.call('GET', `/api/v1/audit?targetType=request&targetId=${minted}`, { token: admin });
    expect(audited.body.records.map((r: { status: number; after: unknown }) => [r.status, r.after])).toEqual([
      [200, { deleted: { predictions: 0, feedback: 0, metricBuckets: 0, asyncRequests: 0 } }],
      [200, { deleted: first.body.deleted }],
    ]);
  });
});

describe('purging a model', () => {
  it('removes its predictions, feedback, metric buckets, async requests and sample sets; its audit records stay', async () => {
    const fraud = models['fraud-detection'];
    const other = models['other-model'];
    record('fraud-detection', { requestId: 'purge-a' });
    record('other-model', { requestId: 'other-a' });
    await t.api.predictions.flush();
    await feedback('fraud-detection', ['purge-a']);
    await feedback('other-model', ['other-a']);
    await acceptAsync('fraud-detection', 'purge-async');
    await acceptAsync(fraud.modelId, 'purge-async-by-id');
    await acceptAsync('other-model', 'other-async');
    const samples = join(t.artifactDir, fraud.artifactKey.replace(/[^/]+$/, 'samples.json'));
    writeFileSync(samples, '{"instances": [], "labels": []}');
    const buckets = db().collection('metric_buckets');
    expect(await buckets.countDocuments({ modelId: fraud.modelId })).toBeGreaterThan(0);

    const res = await t.call('DELETE', '/api/v1/models/fraud-detection?purge=true', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ modelId: fraud.modelId, purged: true, deleted: { asyncRequests: 3 } });
    expect(res.body.deleted.predictions).toBeGreaterThanOrEqual(3);
    expect(res.body.deleted.feedback).toBeGreaterThanOrEqual(3);
    expect(res.body.deleted.metricBuckets).toBeGreaterThan(0);

    expect(await logged(fraud.modelId)).toEqual([]);
    expect(await logged(other.modelId)).toEqual(['other-a']);
    expect(await db().collection('feedback').countDocuments({ modelId: fraud.modelId })).toBe(0);
    expect(await db().collection('feedback').countDocuments({ modelId: other.modelId })).toBe(1);
    expect(await buckets.countDocuments({ modelId: fraud.modelId })).toBe(0);
    expect(await buckets.countDocuments({ modelId: other.modelId })).toBeGreaterThan(0);
    expect(await db().collection('async_requests').countDocuments({ modelName: { $in: ['fraud-detection', fraud.modelId] } })).toBe(0);
    expect(await db().collection('async_requests').countDocuments({ modelName: 'other-model' })).toBe(1);
    expect(existsSync(samples)).toBe(false);

    const audited = await t.call('GET', `/api/v1/audit?targetId=${fraud.modelId}&limit=100`, { token: admin });
    expect(audited.body.records[0]).toMatchObject({ action: 'DELETE /api/v1/models/:id', status: 200, after: { purged: true } });
    expect((await t.call('GET', '/api/v1/audit/verify', { token: admin })).body.valid).toBe(true);
  });
});

describe('async requests', () => {
  it('expire: the sweep deletes them after expiresAt (and old ones written without it)', async () => {
    const store = t.api.gateway.asyncStore;
    await acceptAsync('other-model', 'expired', { expiresAt: new Date(Date.now() - 1000) });
    expect((await t.call('GET', '/api/v1/inference/expired/status', { token: admin })).status).toBe(404);
    await acceptAsync('other-model', 'legacy', { createdAt: new Date(Date.now() - 2 * 86_400_000), expiresAt: undefined });
    await acceptAsync('other-model', 'fresh');
    await db().collection('async_requests').updateOne({ _id: 'legacy' as never }, { $unset: { expiresAt: '' } });
    await until('expired async requests deleted', async () => (await store.get('expired')) === null && (await store.get('legacy')) === null, 10_000, 100);
    expect(await store.get('fresh')).not.toBeNull();
    const status = await t.call('GET', '/api/v1/inference/fresh/status', { token: admin });
    expect(status.status).toBe(200);
    expect(Date.parse(status.body.expiresAt)).toBeGreaterThan(Date.now());
  });
});
