import { FRAUD, serveExample, startGatewayApi, type GatewayApi } from '../helpers/gateway-harness';
import type { TestModelServer } from '../helpers/model-server-harness';
import { until } from '../helpers/until';

/**
 * Inference limits per API key, through the real gateway and a real model server, with the
 * shipped defaults (the harness's "no limit in the way" settings are undone here): a key's own
 * limit, set at creation and changed by an Admin; the default that lets one application run
 * at 100 req/s; Retry-After on every 429, native and /v2.
 */
const TENSOR = { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 9], data: [115.04, 0, 0, 1, 0, 0, 107, 4, 1] }] };

let t: GatewayApi;
let ms: TestModelServer;
let admin: string;

beforeAll(async () => {
  // Empty = unset: the schema's defaults, as an operator gets them.
  t = await startGatewayApi({ env: { RATE_LIMIT_INFERENCE_PER_MIN: '', RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: '' } });
  admin = await t.tokenFor('Admin');
  ms = (await serveExample(t, admin, 'fraud-detection', '1.0.0')).server;
});
afterAll(async () => {
  await t?.close();
  await ms?.close();
});

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string; view: Record<string, unknown> }> {
  const r = await t.call('POST', '/api/v1/api-keys', { token: admin, body: { name: `app-${Math.random().toString(36).slice(2, 8)}`, role: 'Application', ...body } });
  expect(r.status).toBe(201);
  const { key, ...view } = r.body;
  return { id: r.body.id, key, view };
}

const infer = (key: string) => t.call('POST', '/api/v1/inference/fraud-detection', { headers: { 'x-api-key': key }, body: { features: FRAUD } });
const inferV2 = (key: string) => t.call('POST', '/v2/models/fraud-detection/infer', { headers: { 'x-api-key': key }, body: TENSOR });

function expectRetryAfter(headers: Headers, limit: number): void {
  const retryAfter = Number(headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  expect(headers.get('x-ratelimit-limit')).toBe(String(limit));
  expect(headers.get('x-ratelimit-remaining')).toBe('0');
}

describe('a key with a limit of its own', () => {
  let key: { id: string; key: string; view: Record<string, unknown> };

  it('is set at creation and shown in the key’s view', async () => {
    key = await createKey({ inferenceRateLimitPerMin: 5 });
    expect(key.view).toMatchObject({ inferenceRateLimitPerMin: 5, inferenceRateLimitSource: 'key' });
    const list = await t.call('GET', '/api/v1/api-keys', { token: admin });
    expect(list.body.apiKeys.find((k: { id: string }) => k.id === key.id)).toMatchObject({ inferenceRateLimitPerMin: 5, inferenceRateLimitSource: 'key' });
  });

  it('gets 429 with Retry-After after that many requests, native and /v2 alike', async () => {
    for (let i = 0; i < 5; i++) expect((await infer(key.key)).status).toBe(200);
    const native = await infer(key.key);
    expect(native.status).toBe(429);
    expect(native.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expectRetryAfter(native.headers, 5);
    const v2 = await inferV2(key.key);
    expect(v2.status).toBe(429);
    expect(v2.body).toEqual({ error: expect.stringContaining('Rate limit of 5') });
    expectRetryAfter(v2.headers, 5);
  });

  it('takes a changed limit (Admin, PATCH) within seconds, counting the minute already begun', async () => {
    const patched = await t.call('PATCH', `/api/v1/api-keys/${key.id}`, { token: admin, body: { inferenceRateLimitPerMin: 8 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: key.id, inferenceRateLimitPerMin: 8, inferenceRateLimitSource: 'key' });
    // Within GATEWAY_AUTH_CACHE_MS (2 s) plus one request; refused requests meanwhile do not count.
    await until('the raised limit', async () => (await infer(key.key)).status === 200, 10_000, 200);
    let admitted = 1;
    let last = await infer(key.key);
    while (last.status === 200 && admitted < 20) {
      admitted++;
      last = await infer(key.key);
    }
    expect(admitted).toBe(3); // 5 of the 8 were spent in this minute already
    expect(last.status).toBe(429);
    expectRetryAfter(last.headers, 8);

    const reset = await t.call('PATCH', `/api/v1/api-keys/${key.id}`, { token: admin, body: { inferenceRateLimitPerMin: null } });
    expect(reset.body).toMatchObject({ inferenceRateLimitPerMin: 60000, inferenceRateLimitSource: 'default' });
    await until('the default limit again', async () => (await infer(key.key)).status === 200, 10_000, 200);
  });

  it('refuses bad values field by field, at creation and in a change', async () => {
    for (const bad of [0, -5, 1.5, '100', 10_000_001, null]) {
      const r = await t.call('POST', '/api/v1/api-keys', { token: admin, body: { name: 'bad', inferenceRateLimitPerMin: bad } });
      expect({ bad, status: r.status, code: r.body.error?.code }).toEqual({ bad, status: 400, code: 'VALIDATION_ERROR' });
      expect(r.body.error.details).toEqual([{ field: 'inferenceRateLimitPerMin', message: expect.any(String) }]);
    }
    for (const bad of [0, 'fast', 2.5, 10_000_001]) {
      const r = await t.call('PATCH', `/api/v1/api-keys/${key.id}`, { token: admin, body: { inferenceRateLimitPerMin: bad } });
      expect({ bad, status: r.status }).toEqual({ bad, status: 400 });
      expect(r.body.error.details).toEqual([{ field: 'inferenceRateLimitPerMin', message: expect.any(String) }]);
    }
    const missing = await t.call('PATCH', `/api/v1/api-keys/${key.id}`, { token: admin, body: {} });
    expect(missing.body.error.details).toEqual([{ field: 'inferenceRateLimitPerMin', message: expect.any(String) }]);
    const unknown = await t.call('PATCH', `/api/v1/api-keys/${key.id}`, { token: admin, body: { inferenceRateLimitPerMin: 10, name: 'x' } });
    expect(unknown.body.error.details).toEqual([{ field: 'name', message: 'is not a known field' }]);
    expect((await t.call('PATCH', `/api/v1/api-keys/${'0'.repeat(24)}`, { token: admin, body: { inferenceRateLimitPerMin: 10 } })).status).toBe(404);
    expect((await t.call('PATCH', `/api/v1/api-keys/${key.id}`, { token: await t.tokenFor('MLEngineer'), body: { inferenceRateLimitPerMin: 10 } })).status).toBe(403);
  });
});

it('the default lets one application run at 100 req/s for 12 s without a 429', async () => {
  const { key, view } = await createKey({});
  expect(view).toMatchObject({ inferenceRateLimitPerMin: 60000, inferenceRateLimitSource: 'default' });
  // 1,200 requests, 10 every 100 ms: more than the old per-caller default (1,000 a minute).
  const statuses: Record<number, number> = {};
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let tick = 0; tick < 120; tick++) {
    const wait = start + tick * 100 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let i = 0; i < 10; i++) pending.push(infer(key).then((r) => void (statuses[r.status] = (statuses[r.status] ?? 0) + 1)));
  }
  const sentInMs = performance.now() - start;
  await Promise.all(pending);
  expect(statuses).toEqual({ 200: 1200 });
  expect(sentInMs).toBeLessThan(30_000); // all inside one minute: the old default would have refused 200
}, 90_000);
