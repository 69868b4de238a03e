import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricValue, startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';

interface RefRow {
  instance: Record<string, unknown>;
  className: string;
  probabilities: number[];
}
const reference = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'reference-predictions.json'), 'utf8')).models as Record<
  string,
  Record<string, { classes: string[]; rows: RefRow[] }>
>;
const CASES = Object.entries(reference).flatMap(([model, versions]) => Object.keys(versions).map((version) => [model, version] as const));
const FRAUD = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };
const predictPath = (model: string, version: string) => `/v1/models/${model}/versions/${version}/predict`;

describe('model server native inference', () => {
  let ms: TestModelServer;
  beforeAll(async () => {
    ms = await startTestModelServer();
    for (const [model, version] of CASES) expect((await ms.load(model, version)).status).toBe(200);
  });
  afterAll(async () => {
    await ms.close();
  });

  it.each(CASES)('%s %s: single predictions match the python onnxruntime reference', async (model, version) => {
    const { classes, rows } = reference[model][version];
    for (const row of rows) {
      const r = await ms.call('POST', predictPath(model, version), { auth: true, body: { features: row.instance } });
      expect(r.status).toBe(200);
      expect(r.body.prediction.label).toBe(row.className);
      classes.forEach((c, j) => expect(r.body.prediction.probabilities[c]).toBeCloseTo(row.probabilities[j], 5));
      expect(r.body.confidence).toBeCloseTo(Math.max(...row.probabilities), 5);
    }
  });

  it.each(CASES)('%s %s: a batch returns the same predictions in order', async (model, version) => {
    const { rows } = reference[model][version];
    const r = await ms.call('POST', `${predictPath(model, version)}/batch`, { auth: true, body: { instances: rows.map((x) => x.instance) } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      requestId: expect.any(String),
      modelName: model,
      version,
      predictions: expect.any(Array),
      confidences: expect.any(Array),
      totalLatencyMs: expect.any(Number),
      timestamp: expect.any(String),
    });
    expect(r.body.predictions.map((p: { label: string }) => p.label)).toEqual(rows.map((x) => x.className));
    r.body.confidences.forEach((c: number, i: number) => expect(c).toBeCloseTo(Math.max(...rows[i].probabilities), 5));
  });

  it('answers in the spec shape and echoes X-Request-Id', async () => {
    const r = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, body: { features: FRAUD }, headers: { 'x-request-id': 'req-abc123' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      requestId: 'req-abc123',
      modelName: 'fraud-detection',
      version: '1.0.0',
      prediction: { label: expect.any(String), probabilities: { legit: expect.any(Number), fraud: expect.any(Number) } },
      confidence: expect.any(Number),
      latencyMs: expect.any(Number),
      timestamp: expect.any(String),
    });
    expect(r.headers.get('x-request-id')).toBe('req-abc123');
    expect(r.body.latencyMs).toBeGreaterThan(0);
    const generated = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, body: { features: FRAUD } });
    expect(generated.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('optional fields take their default', async () => {
    const { is_international: _drop, ...withoutOptional } = FRAUD;
    const a = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, body: { features: withoutOptional } });
    const b = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, body: { features: { ...withoutOptional, is_international: false } } });
    expect(a.body.prediction).toEqual(b.body.prediction);
  });

  it('names every bad field in a SCHEMA_VALIDATION_ERROR', async () => {
    const r = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), {
      auth: true,
      body: { features: { transaction_amount: 'NaN', merchant_category: 'casino', user_age_days: 1.5, transaction_hour: 24, is_international: 'yes', coupon: 'X' } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('SCHEMA_VALIDATION_ERROR');
    expect(r.body.error.details).toEqual(
      expect.arrayContaining([
        { field: 'coupon', message: 'is not an allowed field' },
        { field: 'transaction_amount', message: 'must be a number' },
        { field: 'merchant_category', message: 'must be one of "retail", "electronics", "travel", "grocery", "online"' },
        { field: 'user_age_days', message: 'must be an integer' },
        { field: 'transaction_hour', message: 'must be >= 0 and <= 23' },
        { field: 'is_international', message: 'must be a boolean' },
      ]),
    );
    expect(r.body.error.details).toHaveLength(6);
    const missing = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, body: { features: { transaction_amount: 5 } } });
    expect(missing.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['merchant_category', 'transaction_hour', 'user_age_days']);
    const digits = await ms.call('POST', predictPath('digits', '1.0.0'), { auth: true, body: { features: { pixels: [1, 2, 3] } } });
    expect(digits.body.error.details).toEqual([{ field: 'pixels', message: 'must have exactly 64 items' }]);
    const pixels = Array.from({ length: 64 }, () => 0);
    pixels[5] = 17;
    const range = await ms.call('POST', predictPath('digits', '1.0.0'), { auth: true, body: { features: { pixels } } });
    expect(range.body.error.details).toEqual([{ field: 'pixels[5]', message: 'must be >= 0 and <= 16' }]);
    const text = await ms.call('POST', predictPath('sentiment', '1.0.0'), { auth: true, body: { features: { text: '' } } });
    expect(text.body.error.details).toEqual([{ field: 'text', message: 'must be at least 1 characters' }]);
  });

  it('prefixes batch errors with instances[i].', async () => {
    const r = await ms.call('POST', `${predictPath('fraud-detection', '1.0.0')}/batch`, { auth: true, body: { instances: [FRAUD, { ...FRAUD, transaction_hour: -1 }, { ...FRAUD, extra: true }] } });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([
      { field: 'instances[1].transaction_hour', message: 'must be >= 0 and <= 23' },
      { field: 'instances[2].extra', message: 'is not an allowed field' },
    ]);
  });

  it.each([
    ['no features', { feature: {} }, 'features', 400],
    ['features not an object', { features: [1, 2] }, 'features', 400],
  ])('rejects a request with %s', async (_name, body, field, status) => {
    const r = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, body });
    expect(r.status).toBe(status);
    expect(r.body.error.details[0].field).toBe(field);
  });

  it('rejects malformed batch requests', async () => {
    for (const body of [{ instances: [] }, { instances: 'x' }, {}]) {
      const r = await ms.call('POST', `${predictPath('fraud-detection', '1.0.0')}/batch`, { auth: true, body });
      expect(r.status).toBe(400);
      expect(r.body.error.details).toEqual([{ field: 'instances', message: 'must be a non-empty array' }]);
    }
    const huge = await ms.call('POST', `${predictPath('fraud-detection', '1.0.0')}/batch`, { auth: true, body: { instances: Array.from({ length: 10_001 }, () => FRAUD) } });
    expect(huge.status).toBe(413);
    const bad = await ms.call('POST', predictPath('fraud-detection', '1.0.0'), { auth: true, rawBody: '{"features":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('a large batch bigger than maxBatchSize runs and answers in order', async () => {
    const rows = reference['fraud-detection']['1.0.0'].rows;
    const instances = Array.from({ length: 300 }, (_, i) => rows[i % rows.length].instance);
    const r = await ms.call('POST', `${predictPath('fraud-detection', '1.0.0')}/batch`, { auth: true, body: { instances } });
    expect(r.status).toBe(200);
    expect(r.body.predictions.map((p: { label: string }) => p.label)).toEqual(instances.map((_, i) => rows[i % rows.length].className));
  });

  it('unknown models and versions are 404 with the right code', async () => {
    const m = await ms.call('POST', predictPath('nope', '1.0.0'), { auth: true, body: { features: FRAUD } });
    expect(m.status).toBe(404);
    expect(m.body.error.code).toBe('MODEL_NOT_FOUND');
    const v = await ms.call('POST', predictPath('fraud-detection', '9.9.9'), { auth: true, body: { features: FRAUD } });
    expect(v.status).toBe(404);
    expect(v.body.error.code).toBe('VERSION_NOT_FOUND');
    const get = await ms.call('GET', predictPath('fraud-detection', '1.0.0'));
    expect(get.status).toBe(404);
    const other = await ms.call('GET', '/nothing/here');
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'NOT_FOUND', details: [], traceId: null });
    const traced = await ms.call('POST', predictPath('nope', '1.0.0'), { auth: true, body: { features: FRAUD }, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect(traced.body.error.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    const malformed = await ms.call('GET', '/v1/models/%E0%A4%A/versions/1/predict');
    expect(malformed.status).toBe(400);
  });

  it('/health reports status and loaded versions', async () => {
    const r = await ms.call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', loaded: CASES.length, ready: CASES.length });
    expect(r.body.versions).toHaveLength(CASES.length);
  });

  it('/metrics exposes per-version inference metrics', async () => {
    const before = await ms.call('GET', '/metrics');
    const count = (text: string) => metricValue(text, 'hotswap_predictions_total', { model: 'digits', version: '1.0.0' }) ?? 0;
    const n0 = count(before.body);
    const rows = reference.digits['1.0.0'].rows.slice(0, 3).map((r) => r.instance);
    await ms.call('POST', `${predictPath('digits', '1.0.0')}/batch`, { auth: true, body: { instances: rows } });
    await ms.call('POST', predictPath('digits', '1.0.0'), { auth: true, body: { features: rows[0] } });
    const r = await ms.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = r.body as string;
    expect(count(text) - n0).toBe(4);
    for (const name of ['hotswap_inference_duration_seconds_count', 'hotswap_inference_queue_seconds_count', 'hotswap_inference_batch_size_count'])
      expect(metricValue(text, name, { model: 'digits', version: '1.0.0' })).toBeGreaterThan(0);
    expect(text).toMatch(/hotswap_inference_duration_seconds_bucket\{le="0.0001",service="model-server",model="digits",version="1.0.0"\}/);
    expect(text).toContain('# TYPE hotswap_inference_errors_total counter');
    expect(metricValue(text, 'hotswap_model_server_versions', { state: 'Ready' })).toBe(CASES.length);
    expect(metricValue(text, 'http_request_duration_seconds_count', { route: '/v1/models/:model/versions/:version/predict', status: '200' })).toBeGreaterThan(0);
  });
});

describe('model server /metrics with a token', () => {
  it('requires the metrics token when one is configured', async () => {
    const ms = await startTestModelServer({ METRICS_TOKEN: 'metrics-token-0123456789' });
    try {
      expect((await ms.call('GET', '/metrics')).status).toBe(401);
      const ok = await ms.call('GET', '/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.status).toBe(200);
    } finally {
      await ms.close();
    }
  });
});
