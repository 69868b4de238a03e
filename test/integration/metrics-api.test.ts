/**
 * Metric windows against hand-computed values with TWO api processes on the same database,
 * each recording known predictions through its own sink (the gateway's contract), and the
 * metrics API's validation.
 */
import { bucketBounds, latencyBucketIndex, nearestRankPercentile } from '../../domain/metrics';
import { readMetricWindow } from '../../api/prediction-log';
import type { PredictionRecord, PredictionRole } from '../../api/gateway/prediction-sink';
import { startTestApi, type TestApi } from '../helpers/api-harness';
import { exampleModel, uploadForm, versionBody } from '../helpers/example-models';

jest.setTimeout(120_000);

const v1 = exampleModel('fraud-detection', '1.0.0');
const v2 = exampleModel('fraud-detection', '2.0.0');

let a: TestApi;
let b: TestApi;
let token: string;
let modelId: string;
const versionIds: Record<string, string> = {};

interface Spec {
  api: 'a' | 'b';
  id: string;
  version: '1.0.0' | '2.0.0';
  role: PredictionRole;
  environment: string;
  ageS: number;
  latencyMs: number;
  status: 'Completed' | 'Failed';
  errorCode?: string;
  label: string;
  primaryRequestId?: string;
}

const specs: Spec[] = [];
let now = 0;

function add(n: number, f: (i: number) => Omit<Spec, 'id'>, prefix: string) {
  for (let i = 0; i < n; i++) specs.push({ id: `${prefix}-${i}`, ...f(i) });
}

/**
 * Seconds before now. Few distinct times on purpose: each bucket is one upsert per flush, and
 * FerretDB (the test backend) scans the collection for every upsert.
 */
const AGES = [30, 130, 250, 400, 610, 900];

function buildSpecs() {
  const fail = (i: number) => (i % 25 === 0 ? { status: 'Failed' as const, errorCode: 'SERVICE_UNAVAILABLE' } : i % 40 === 0 ? { status: 'Failed' as const, errorCode: 'SCHEMA_VALIDATION_ERROR' } : { status: 'Completed' as const });
  add(400, (i) => ({ api: 'a', version: '1.0.0', role: 'primary', environment: 'Production', ageS: AGES[i % 6], latencyMs: 0.2 + ((i * 37) % 1000) / 10, label: 'legit', ...fail(i) }), 'a-v1');
  add(300, (i) => ({ api: 'b', version: '1.0.0', role: 'primary', environment: 'Production', ageS: AGES[(i % 3) * 2], latencyMs: 1 + ((i * 13) % 300), label: 'legit', ...fail(i + 1) }), 'b-v1');
  add(200, (i) => ({ api: 'b', version: '2.0.0', role: 'canary', environment: 'Production', ageS: AGES[1 + (i % 2) * 2], latencyMs: 2 + ((i * 7) % 50) * 3, label: 'fraud', ...fail(i + 3) }), 'b-v2');
  add(100, (i) => ({ api: 'a', version: '2.0.0', role: 'canary', environment: 'Production', ageS: AGES[2], latencyMs: 0.05 + i * 0.9, label: 'legit', status: 'Completed' }), 'a-v2');
  // Shadow copies of b's first 50 primaries: 30 agree with the primary's label, 20 do not.
  add(50, (i) => ({ api: 'b', version: '2.0.0', role: 'shadow', environment: 'Production', ageS: AGES[(i % 3) * 2], latencyMs: 3 + i, label: i < 30 ? 'legit' : 'fraud', status: 'Completed', primaryRequestId: `b-v1-${i}` }), 'b-v2-shadow');
  // Elsewhere or earlier: excluded by environment=Production / window=PT1H.
  add(30, () => ({ api: 'a', version: '1.0.0', role: 'primary', environment: 'Staging', ageS: AGES[0], latencyMs: 5, label: 'legit', status: 'Completed' }), 'a-staging');
  add(20, () => ({ api: 'a', version: '1.0.0', role: 'primary', environment: 'Production', ageS: 7200, latencyMs: 7, label: 'legit', status: 'Completed' }), 'a-old');
}

function toRecord(s: Spec): PredictionRecord {
  return {
    requestId: s.id,
    time: new Date(now - s.ageS * 1000),
    modelId,
    modelName: 'fraud-detection',
    version: s.version,
    versionId: versionIds[s.version],
    environment: s.environment,
    role: s.role,
    features: { transaction_amount: 10 },
    outputs: s.status === 'Completed' ? { label: s.label, probabilities: { legit: 0.5, fraud: 0.5 } } : null,
    latencyMs: s.latencyMs,
    status: s.status,
    ...(s.errorCode && { errorCode: s.errorCode }),
    ...(s.primaryRequestId && { primaryRequestId: s.primaryRequestId, primaryOutputs: toRecord(specs.find((p) => p.id === s.primaryRequestId)!).outputs }),
  };
}

beforeAll(async () => {
  const fast = { METRICS_FLUSH_MS: '200', PREDICTION_LOG_FLUSH_MS: '20', RATE_LIMIT_REGISTER_PER_MIN: '1000' };
  a = await startTestApi(fast);
  // A second api process on the same database (same token secret, so a token works on both).
  b = await startTestApi({ ...fast, MONGODB_DB: a.config.MONGODB_DB, JWT_SECRET: a.config.JWT_SECRET });
  token = await a.tokenFor('DataScientist');
  const created = await a.call('POST', '/api/v1/models', { token, rawBody: uploadForm({ ...v1.metadata, name: 'fraud-detection' }, v1.onnx) });
  expect(created.status).toBe(201);
  modelId = created.body.modelId;
  versionIds['1.0.0'] = created.body.versionId;
  const second = await a.call('POST', `/api/v1/models/${modelId}/versions`, { token, rawBody: uploadForm(versionBody(v2.metadata), v2.onnx) });
  expect(second.status).toBe(201);
  versionIds['2.0.0'] = second.body.versionId;

  now = Date.now();
  buildSpecs();
  // Each process records its own share through its sink, primaries before their shadows.
  for (const s of specs) (s.api === 'a' ? a : b).api.predictions.record(toRecord(s));
  await Promise.all([a.api.predictions.flush(), b.api.predictions.flush()]);
});

afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** Hand-computed expectations from the raw specs. */
function expected(select: (s: Spec) => boolean, windowS: number) {
  const chosen = specs.filter(select);
  const ok = chosen.filter((s) => s.status === 'Completed');
  const lat = ok.map((s) => s.latencyMs);
  return {
    total: chosen.length,
    successful: ok.length,
    failed: chosen.length - ok.length,
    serverErrors: chosen.filter((s) => s.errorCode === 'SERVICE_UNAVAILABLE').length,
    clientErrors: chosen.filter((s) => s.errorCode === 'SCHEMA_VALIDATION_ERROR').length,
    avg: lat.reduce((x, y) => x + y, 0) / lat.length,
    min: Math.min(...lat),
    max: Math.max(...lat),
    p: (q: number) => nearestRankPercentile(lat, q)!,
    throughput: chosen.length / windowS,
  };
}

function expectMetrics(m: any, e: ReturnType<typeof expected>) {
  expect(m.totalRequests).toBe(e.total);
  expect(m.successfulInferences).toBe(e.successful);
  expect(m.failedInferences).toBe(e.failed);
  expect(m.serverErrors).toBe(e.serverErrors);
  expect(m.clientErrors).toBe(e.clientErrors);
  expect(m.avgLatencyMs).toBeCloseTo(e.avg, 2);
  expect(m.minLatencyMs).toBeCloseTo(e.min, 2);
  expect(m.maxLatencyMs).toBeCloseTo(e.max, 2);
  expect(m.throughputRps).toBeCloseTo(e.throughput, 2);
  // Percentiles: within the histogram bucket of the exact value (the documented resolution).
  for (const [field, q] of [['p50LatencyMs', 0.5], ['p95LatencyMs', 0.95], ['p99LatencyMs', 0.99]] as const) {
    const exact = e.p(q);
    const [lower, upper] = bucketBounds(latencyBucketIndex(exact));
    expect(m[field]).toBeGreaterThanOrEqual(Math.max(lower, e.min) - 0.001);
    expect(m[field]).toBeLessThanOrEqual(Math.min(upper, e.max) + 0.001);
  }
  expect(m.driftScore).toBeNull();
  expect(m.accuracy).toBeNull();
}

const inHour = (s: Spec) => s.ageS < 3600;

it('sums both processes: the model overall (callers\' traffic) and each version', async () => {
  const res = await a.call('GET', `/api/v1/models/${modelId}/metrics?window=PT1H&environment=Production`, { token });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ modelId, modelName: 'fraud-detection', version: null, environment: 'Production', window: 'PT1H' });
  expect(Date.parse(res.body.timestamp)).toBeGreaterThanOrEqual(now);
  expectMetrics(res.body.metrics, expected((s) => s.environment === 'Production' && inHour(s) && s.role !== 'shadow', 3600));

  const versions = Object.fromEntries(res.body.versions.map((v: any) => [v.version, v]));
  expect(Object.keys(versions).sort()).toEqual(['1.0.0', '2.0.0']);
  expect(versions['1.0.0'].roles).toEqual(['primary']);
  expect(versions['2.0.0']).toMatchObject({ versionId: versionIds['2.0.0'], roles: ['canary', 'shadow'] });
  expectMetrics(versions['1.0.0'].metrics, expected((s) => s.environment === 'Production' && inHour(s) && s.version === '1.0.0', 3600));
  expectMetrics(versions['2.0.0'].metrics, expected((s) => s.environment === 'Production' && inHour(s) && s.version === '2.0.0', 3600));
});

it('gives the same answer from the other process', async () => {
  const [fromA, fromB] = await Promise.all(
    [a, b].map((t) => t.call('GET', `/api/v1/models/fraud-detection/metrics?window=PT1H&environment=Production&version=1.0.0`, { token })),
  );
  expect(fromB.status).toBe(200);
  expect(fromB.body.metrics).toEqual(fromA.body.metrics);
  expectMetrics(fromA.body.metrics, expected((s) => s.environment === 'Production' && inHour(s) && s.version === '1.0.0', 3600));
});

it('reports one version over every role it served, with shadow agreement', async () => {
  const res = await b.call('GET', `/api/v1/models/${modelId}/metrics?window=PT1H&version=2.0.0`, { token });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ version: '2.0.0', environment: null });
  expect(res.body.versions).toBeUndefined();
  expectMetrics(res.body.metrics, expected((s) => inHour(s) && s.version === '2.0.0', 3600));
  // Compared: shadows whose primary completed (3 of b's first 50 primaries failed); agreed: same label.
  const byId = new Map(specs.map((s) => [s.id, s]));
  const compared = specs.filter((s) => s.role === 'shadow' && byId.get(s.primaryRequestId!)!.status === 'Completed');
  const agreed = compared.filter((s) => s.label === byId.get(s.primaryRequestId!)!.label);
  expect([compared.length, agreed.length]).toEqual([47, 29]);
  expect(res.body.metrics.shadowCompared).toBe(47);
  expect(res.body.metrics.shadowAgreement).toBeCloseTo(29 / 47, 6);
});

it('narrows by environment and widens with the window', async () => {
  const all = await a.call('GET', `/api/v1/models/${modelId}/metrics?window=PT1H&version=1.0.0`, { token });
  expect(all.body.metrics.totalRequests).toBe(specs.filter((s) => inHour(s) && s.version === '1.0.0').length);
  const staging = await a.call('GET', `/api/v1/models/${modelId}/metrics?window=PT1H&environment=Staging`, { token });
  expect(staging.body.metrics.totalRequests).toBe(30);
  const threeHours = await a.call('GET', `/api/v1/models/${modelId}/metrics?window=PT3H&environment=Production&version=1.0.0`, { token });
  expectMetrics(threeHours.body.metrics, expected((s) => s.environment === 'Production' && s.version === '1.0.0', 3 * 3600));
  const defaultWindow = await a.call('GET', `/api/v1/models/${modelId}/metrics`, { token });
  expect(defaultWindow.body.window).toBe('PT1H');
});

it('readMetricWindow: the same numbers for the deployment analysis, by role', async () => {
  const w = await readMetricWindow(a.api.mongo.db, { modelId, environment: 'Production', version: '2.0.0', role: 'canary', from: new Date(now - 3600_000), to: new Date(now + 1000) });
  const e = expected((s) => s.environment === 'Production' && s.version === '2.0.0' && s.role === 'canary', 3601);
  expect(w.summary.totalRequests).toBe(e.total);
  expect(w.summary.serverErrors).toBe(e.serverErrors);
  expect(w.summary.avgLatencyMs).toBeCloseTo(e.avg, 6);
  expect(w.series.map((s) => `${s.version}/${s.role}/${s.environment}`)).toEqual(['2.0.0/canary/Production']);
  expect(w.coveredTo.getTime() % 10_000).toBe(0);
  const both = await readMetricWindow(b.api.mongo.db, { modelId, role: ['primary', 'canary'], from: new Date(now - 3600_000), to: new Date(now + 1000) });
  expect(both.summary.totalRequests).toBe(specs.filter((s) => inHour(s) && s.role !== 'shadow').length);
});

it('answers an empty window with zeros and nulls', async () => {
  const res = await a.call('GET', `/api/v1/models/${modelId}/metrics?window=PT1H&environment=development`, { token });
  expect(res.status).toBe(200);
  expect(res.body.environment).toBe('Development');
  expect(res.body.metrics).toMatchObject({ totalRequests: 0, avgLatencyMs: null, p99LatencyMs: null, accuracy: null, throughputRps: 0, errorRate: null });
  expect(res.body.versions).toEqual([]);
});

describe('validation', () => {
  it.each([
    ['1h', 'ISO-8601'],
    ['P1M', 'years and months'],
    ['P8D', 'must not exceed P7D'],
    ['PT0S', 'at least one second'],
    ['', 'ISO-8601'],
  ])('window=%p → 400', async (window, fragment) => {
    const res = await a.call('GET', `/api/v1/models/${modelId}/metrics?window=${encodeURIComponent(window)}`, { token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([{ field: 'query.window', message: expect.stringContaining(fragment) }]);
  });

  it('rejects an unknown environment', async () => {
    const res = await a.call('GET', `/api/v1/models/${modelId}/metrics?environment=qa`, { token });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'query.environment', message: 'must be one of Development, Staging, Production' }]);
  });

  it('rejects unknown query parameters', async () => {
    const res = await a.call('GET', `/api/v1/models/${modelId}/metrics?windw=PT1H`, { token });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'query.windw', message: 'is not a known field' }]);
  });

  it('404 for an unknown model or version', async () => {
    const model = await a.call('GET', '/api/v1/models/no-such-model/metrics?window=PT1H', { token });
    expect(model.status).toBe(404);
    expect(model.body.error.code).toBe('MODEL_NOT_FOUND');
    const version = await a.call('GET', `/api/v1/models/${modelId}/metrics?version=9.9.9`, { token });
    expect(version.status).toBe(404);
    expect(version.body.error.code).toBe('VERSION_NOT_FOUND');
  });

  it('needs metrics:read', async () => {
    expect((await a.call('GET', `/api/v1/models/${modelId}/metrics`)).status).toBe(401);
    const app = await a.call('GET', `/api/v1/models/${modelId}/metrics`, { token: await a.tokenFor('Application') });
    expect(app.status).toBe(403);
  });
});
