import { metricValue } from '../helpers/model-server-harness';
import type { TestModelServer } from '../helpers/model-server-harness';
import {
  FRAUD,
  fraudRow,
  loadOn,
  registerExample,
  setRoute,
  startFleetServer,
  startGatewayApi,
  waitForReady,
  type GatewayApi,
  type RegisteredVersion,
} from '../helpers/gateway-harness';

/**
 * The inference gateway end to end: the registry API registers fraud-detection 1.0.0 and
 * 2.0.0, two in-process model servers load both through their control API, the routing API
 * sets routes, and requests go through the api's lean inference path.
 */
let t: GatewayApi;
let servers: TestModelServer[];
let admin: string;
let app: string;
let v1: RegisteredVersion;
let v2: RegisteredVersion;

const infer = (body: unknown, opts: { token?: string; headers?: Record<string, string>; path?: string } = {}) =>
  t.call('POST', opts.path ?? '/api/v1/inference/fraud-detection', { token: opts.token ?? app, body, headers: opts.headers });

beforeAll(async () => {
  t = await startGatewayApi({ env: { ROUTING_LOAD_TIMEOUT_MS: '1500' } });
  admin = await t.tokenFor('Admin');
  app = await t.tokenFor('Application');
  v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
  await registerExample(t, admin, 'fraud-detection', '3.0.0-degraded'); // registered, never loaded
  servers = await Promise.all([startFleetServer(t), startFleetServer(t)]);
  for (const ms of servers) for (const v of [v1, v2]) await loadOn(ms, v);
  await waitForReady(t, v1, 2);
  await waitForReady(t, v2, 2);
});

afterAll(async () => {
  await t?.close();
  await Promise.all((servers ?? []).map((s) => s.close()));
});

describe('routing API', () => {
  it('refuses weights that do not sum to 100, unknown versions and versions no server holds', async () => {
    const bad = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 95 }, { version: '2.0.0', weight: 10 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details).toEqual([{ field: 'pools', message: 'weights must sum to 100 (they sum to 105)' }]);

    const fraction = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 99.5 }, { version: '2.0.0', weight: 0.5 }] } });
    expect(fraction.status).toBe(400);

    const unknown = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '9.9.9', weight: 100 }] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('VERSION_NOT_FOUND');

    // These servers do not reconcile, so the version it would load first never becomes Ready: 503 after ROUTING_LOAD_TIMEOUT_MS, table unchanged.
    const before = await t.call('GET', '/api/v1/routing/fraud-detection/Production', { token: admin });
    const notLoaded = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 90 }, { version: '3.0.0-degraded', weight: 10 }] } });
    expect(notLoaded.status).toBe(503);
    expect(notLoaded.headers.get('retry-after')).toBe('5');
    expect(notLoaded.body.error.details).toEqual([{ field: 'pools[1].version', message: expect.stringMatching(/^fraud-detection 3\.0\.0-degraded is not Ready on .+ after 1500 ms \(still loading\)$/) }]);
    const after = await t.call('GET', '/api/v1/routing/fraud-detection/Production', { token: admin });
    expect([after.status, after.body.revision]).toEqual([before.status, before.body.revision]);

    const noModel = await t.call('PUT', '/api/v1/routing/no-such-model/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }] } });
    expect(noModel.status).toBe(404);
    const badEnv = await t.call('PUT', '/api/v1/routing/fraud-detection/qa', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }] } });
    expect(badEnv.status).toBe(400);
    expect(badEnv.body.error.details[0].field).toBe('environment');
  });

  it('creates a table at revision 1, bumps it on every change, and enforces expectedRevision', async () => {
    const first = await t.call('PUT', '/api/v1/routing/fraud-detection/production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }], expectedRevision: 0 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      modelId: v1.modelId,
      modelName: 'fraud-detection',
      environment: 'Production',
      revision: 1,
      pools: [{ version: '1.0.0', versionId: v1.versionId, weight: 100, role: 'primary' }],
      shadow: null,
      sticky: null,
      cache: null,
      updatedBy: 'admin',
    });
    const second = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100, role: 'primary' }, { version: '2.0.0', weight: 0, role: 'canary' }] } });
    expect(second.body.revision).toBe(2);
    const stale = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }], expectedRevision: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details[0]).toEqual({ field: 'expectedRevision', message: 'current revision is 2' });

    const got = await t.call('GET', '/api/v1/routing/fraud-detection/Production', { token: app });
    expect(got.status).toBe(200);
    expect(got.body.revision).toBe(2);
    expect((await t.call('GET', '/api/v1/routing/fraud-detection/Staging', { token: app })).status).toBe(404);
    expect((await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: app, body: { pools: [{ version: '1.0.0', weight: 100 }] } })).status).toBe(403);
  });

  it('concurrent writers each get their own revision (no lost or duplicated revision)', async () => {
    const before = (await t.call('GET', '/api/v1/routing/fraud-detection/Production', { token: admin })).body.revision as number;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }] } })),
    );
    const ok = results.filter((r) => r.status === 200).map((r) => r.body.revision as number);
    expect(new Set(ok).size).toBe(ok.length);
    expect(ok.length).toBeGreaterThan(0);
    const after = (await t.call('GET', '/api/v1/routing/fraud-detection/Production', { token: admin })).body.revision as number;
    expect(after).toBe(before + ok.length);
    for (const r of results) if (r.status !== 200) expect(r.status).toBe(409);
  });
});

describe('single and batch inference', () => {
  beforeAll(async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
  });

  it('answers in the spec shape, with the caller request id', async () => {
    const r = await infer({ features: FRAUD }, { headers: { 'x-request-id': 'req-abc123' } });
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
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const direct = await servers[0].call('POST', `/v1/models/fraud-detection/versions/1.0.0/predict`, { auth: true, body: { features: FRAUD } });
    expect(r.body.prediction).toEqual(direct.body.prediction);
  });

  it('authenticates with a Bearer token or an API key; 401 without, errors in the spec body', async () => {
    const none = await t.call('POST', '/api/v1/inference/fraud-detection', { body: { features: FRAUD } });
    expect(none.status).toBe(401);
    expect(none.body.error).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), details: [], traceId: expect.any(String), timestamp: expect.any(String) });
    const badToken = await infer({ features: FRAUD }, { token: 'not-a-jwt' });
    expect(badToken.status).toBe(401);

    const created = await t.call('POST', '/api/v1/api-keys', { token: admin, body: { name: 'checkout-service', role: 'Application' } });
    expect(created.status).toBe(201);
    const viaKey = await t.call('POST', '/api/v1/inference/fraud-detection', { body: { features: FRAUD }, headers: { 'x-api-key': created.body.key } });
    expect(viaKey.status).toBe(200);
    const viaScheme = await t.call('POST', '/api/v1/inference/fraud-detection', { body: { features: FRAUD }, headers: { authorization: `ApiKey ${created.body.key}` } });
    expect(viaScheme.status).toBe(200);
    const wrongKey = await t.call('POST', '/api/v1/inference/fraud-detection', { body: { features: FRAUD }, headers: { 'x-api-key': `${created.body.key.slice(0, -2)}xx` } });
    expect(wrongKey.status).toBe(401);
  });

  it('maps every failure to the spec error body', async () => {
    const unknownModel = await infer({ features: FRAUD }, { path: '/api/v1/inference/no-such-model' });
    expect(unknownModel.status).toBe(404);
    expect(unknownModel.body.error.code).toBe('MODEL_NOT_FOUND');

    const schema = await infer({ features: { ...FRAUD, transaction_hour: 99, extra_field: 1 } });
    expect(schema.status).toBe(400);
    expect(schema.body.error.code).toBe('SCHEMA_VALIDATION_ERROR');
    expect(schema.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['extra_field', 'transaction_hour']);

    const malformed = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, rawBody: '{"features":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details).toEqual([{ field: 'body', message: 'is not valid JSON' }]);

    const shape = await infer({ feature: FRAUD });
    expect(shape.status).toBe(400);
    expect(shape.body.error.details.map((d: { field: string }) => d.field)).toEqual(['feature', 'features']);

    const noVersion = await infer({ features: FRAUD, version: '7.7.7' });
    expect(noVersion.status).toBe(404);
    expect(noVersion.body.error.code).toBe('VERSION_NOT_FOUND');

    const notServed = await infer({ features: FRAUD, version: '3.0.0-degraded' });
    expect(notServed.status).toBe(503);
    expect(notServed.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(notServed.headers.get('retry-after')).toBe('1');

    const noRoute = await infer({ features: FRAUD }, { headers: { 'x-hotswap-environment': 'Staging' } });
    expect(noRoute.status).toBe(503);
    expect(noRoute.body.error.message).toMatch(/no route in Staging/);

    const badEnv = await infer({ features: FRAUD }, { path: '/api/v1/inference/fraud-detection?environment=qa' });
    expect(badEnv.status).toBe(400);
    expect(badEnv.body.error.details[0].field).toBe('environment');

    const badMode = await infer({ features: FRAUD }, { path: '/api/v1/inference/fraud-detection?mode=later' });
    expect(badMode.status).toBe(400);
  });

  it('pins a version on request, from the pools or outside them', async () => {
    const pinned = await infer({ features: FRAUD, version: '2.0.0' });
    expect(pinned.status).toBe(200);
    expect(pinned.body.version).toBe('2.0.0');
    const byId = await infer({ features: FRAUD, version: v2.versionId });
    expect(byId.body.version).toBe('2.0.0');
  });

  it('other environments route by their own table, chosen by header or query', async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '2.0.0', weight: 100 }] }, 'Staging');
    expect((await infer({ features: FRAUD }, { headers: { 'x-hotswap-environment': 'staging' } })).body.version).toBe('2.0.0');
    expect((await infer({ features: FRAUD }, { path: '/api/v1/inference/fraud-detection?environment=Staging' })).body.version).toBe('2.0.0');
    expect((await infer({ features: FRAUD })).body.version).toBe('1.0.0');
  });

  it('batch: the same predictions as single requests, in order, up to GATEWAY_MAX_BATCH_SIZE', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => fraudRow(i));
    const batch = await infer({ instances: rows }, { path: '/api/v1/inference/fraud-detection/batch' });
    expect(batch.status).toBe(200);
    expect(batch.body).toEqual({
      requestId: expect.any(String),
      modelName: 'fraud-detection',
      version: '1.0.0',
      predictions: expect.any(Array),
      confidences: expect.any(Array),
      totalLatencyMs: expect.any(Number),
      timestamp: expect.any(String),
    });
    const singles = await Promise.all(rows.map((features) => infer({ features })));
    // Same labels; probabilities equal up to float32 rounding (batched kernels sum in another order).
    expect(batch.body.predictions.map((p: { label: string }) => p.label)).toEqual(singles.map((s) => s.body.prediction.label));
    batch.body.predictions.forEach((p: { probabilities: { fraud: number } }, i: number) => expect(p.probabilities.fraud).toBeCloseTo(singles[i].body.prediction.probabilities.fraud, 5));

    const max = await infer({ instances: Array.from({ length: 1000 }, (_, i) => fraudRow(i)) }, { path: '/api/v1/inference/fraud-detection/batch' });
    expect(max.status).toBe(200);
    expect(max.body.predictions).toHaveLength(1000);
    const over = await infer({ instances: Array.from({ length: 1001 }, (_, i) => fraudRow(i)) }, { path: '/api/v1/inference/fraud-detection/batch' });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'instances', message: 'must hold at most 1000 instances (got 1001)' }] });
  });

  it('records every prediction (single and per batch instance) after answering', async () => {
    const before = t.sink.records.length;
    const single = await infer({ features: FRAUD }, { headers: { 'x-request-id': 'rec-single' } });
    const batch = await infer({ instances: [fraudRow(1), fraudRow(2)] }, { path: '/api/v1/inference/fraud-detection/batch', headers: { 'x-request-id': 'rec-batch' } });
    const failed = await infer({ features: { ...FRAUD, transaction_hour: -1 } }, { headers: { 'x-request-id': 'rec-failed' } });
    expect([single.status, batch.status, failed.status]).toEqual([200, 200, 400]);
    await t.sink.waitFor((rs) => rs.length >= before + 4);
    const byId = new Map(t.sink.records.slice(before).map((r) => [r.requestId, r]));
    expect(byId.get('rec-single')).toMatchObject({
      modelId: v1.modelId,
      modelName: 'fraud-detection',
      version: '1.0.0',
      versionId: v1.versionId,
      environment: 'Production',
      role: 'primary',
      features: FRAUD,
      outputs: single.body.prediction,
      status: 'Completed',
      traceId: expect.any(String),
      time: expect.any(Date),
      latencyMs: expect.any(Number),
    });
    expect(byId.get('rec-batch:0')).toMatchObject({ features: fraudRow(1), outputs: batch.body.predictions[0], status: 'Completed' });
    expect(byId.get('rec-batch:1')).toMatchObject({ features: fraudRow(2), outputs: batch.body.predictions[1] });
    expect(byId.get('rec-failed')).toMatchObject({ status: 'Failed', errorCode: 'SCHEMA_VALIDATION_ERROR', outputs: null });
  });
});

describe('weighted and sticky routing', () => {
  it('90/10 over 1000 requests lands within a binomial tolerance', async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 90, role: 'primary' }, { version: '2.0.0', weight: 10, role: 'canary' }] });
    const counts: Record<string, number> = {};
    const before = t.sink.records.length;
    for (let i = 0; i < 1000; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, () => infer({ features: FRAUD })));
      for (const r of batch) {
        expect(r.status).toBe(200);
        counts[r.body.version] = (counts[r.body.version] ?? 0) + 1;
      }
    }
    // n = 1000, p = 0.1: sd ≈ 9.5; 4.5 sd either side fails by chance about once in 150,000 runs.
    expect(counts['2.0.0']).toBeGreaterThanOrEqual(57);
    expect(counts['2.0.0']).toBeLessThanOrEqual(143);
    expect(counts['1.0.0'] + counts['2.0.0']).toBe(1000);
    await t.sink.waitFor((rs) => rs.length >= before + 1000);
    const roles = t.sink.records.slice(before).filter((r) => r.version === '2.0.0').map((r) => r.role);
    expect(new Set(roles)).toEqual(new Set(['canary']));
  });

  it('a sticky header keeps each caller on one version; callers split by the weights', async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 50, role: 'primary' }, { version: '2.0.0', weight: 50, role: 'challenger' }], sticky: { header: 'X-User-Id' } });
    const seen = new Map<string, Set<string>>();
    for (let u = 0; u < 40; u++) {
      const user = `user-${u}`;
      const rs = await Promise.all(Array.from({ length: 5 }, () => infer({ features: FRAUD }, { headers: { 'x-user-id': user } })));
      seen.set(user, new Set(rs.map((r) => r.body.version)));
    }
    for (const versions of seen.values()) expect(versions.size).toBe(1);
    const onV2 = [...seen.values()].filter((v) => v.has('2.0.0')).length;
    expect(onV2).toBeGreaterThan(5);
    expect(onV2).toBeLessThan(35);
    // no header: weighted random
    const anon = await Promise.all(Array.from({ length: 40 }, () => infer({ features: FRAUD })));
    expect(new Set(anon.map((r) => r.body.version))).toEqual(new Set(['1.0.0', '2.0.0']));
  });
});

describe('prediction cache (opt-in per model)', () => {
  beforeAll(async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], cache: { enabled: true, ttlSeconds: 60, maxEntries: 100 } });
  });

  it('misses, then hits for the same features in any key order; says so in the body and header', async () => {
    const features = fraudRow(4242);
    const miss = await infer({ features });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(miss.body.cached).toBeUndefined();
    const reordered = Object.fromEntries(Object.entries(features).reverse());
    const hit = await infer({ features: reordered });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.body).toMatchObject({ cached: true, version: '1.0.0', prediction: miss.body.prediction, confidence: miss.body.confidence });
    expect(hit.body.requestId).not.toBe(miss.body.requestId);
    // the cache key carries the version: a pin to 2.0.0 is a miss
    const other = await infer({ features, version: '2.0.0' });
    expect(other.headers.get('x-cache')).toBe('MISS');
    expect(other.body.version).toBe('2.0.0');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricValue(metrics, 'hotswap_prediction_cache_total', { model: 'fraud-detection', result: 'hit' })).toBeGreaterThanOrEqual(1);
  });

  it('records cached answers as such, and a route without cache says nothing about caching', async () => {
    const before = t.sink.records.length;
    await infer({ features: fraudRow(4242) }, { headers: { 'x-request-id': 'cached-1' } });
    await t.sink.waitFor((rs) => rs.length > before);
    expect(t.sink.records.find((r) => r.requestId === 'cached-1')).toMatchObject({ cached: true, status: 'Completed' });
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], cache: null });
    const off = await infer({ features: fraudRow(4242) });
    expect(off.headers.get('x-cache')).toBeNull();
    expect(off.body.cached).toBeUndefined();
  });
});

describe('coalescing under concurrency', () => {
  it('sends concurrent single requests together; a bad request in a coalesced batch fails alone', async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
    const bad = (i: number) => i % 10 === 7;
    const rows = Array.from({ length: 80 }, (_, i) => (bad(i) ? { ...fraudRow(i), transaction_hour: 99 } : fraudRow(i)));
    const rs = await Promise.all(rows.map((features) => infer({ features })));
    rs.forEach((r, i) => {
      expect(r.status).toBe(bad(i) ? 400 : 200);
      if (bad(i)) expect(r.body.error.details).toEqual([expect.objectContaining({ field: 'transaction_hour' })]);
      else expect(r.body).toMatchObject({ version: '1.0.0', prediction: { label: expect.any(String) } });
    });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricValue(text, 'hotswap_gateway_coalesced_batch_size_count')).toBeGreaterThan(0);
  });
});

describe('metrics', () => {
  it('exports the gateway series on the api registry', async () => {
    await infer({ features: FRAUD });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricValue(text, 'hotswap_inference_requests_total', { model: 'fraud-detection', version: '1.0.0', role: 'primary', status: '200' })).toBeGreaterThan(0);
    expect(metricValue(text, 'hotswap_inference_duration_seconds_count', { model: 'fraud-detection', version: '1.0.0', role: 'primary' })).toBeGreaterThan(0);
    expect(metricValue(text, 'hotswap_inference_errors_total', { code: 'SCHEMA_VALIDATION_ERROR' })).toBeGreaterThan(0);
    expect(metricValue(text, 'hotswap_routing_revision', { model: 'fraud-detection', environment: 'Production' })).toBeGreaterThan(1);
    expect(text).toContain('hotswap_gateway_retries_total');
    expect(text).toContain('hotswap_shadow_dropped_total');
  });
});

describe('rate limit', () => {
  let limited: GatewayApi;
  afterAll(() => limited?.close());

  it('answers 429 with Retry-After once a principal spends its inference budget', async () => {
    limited = await startGatewayApi({ env: { RATE_LIMIT_INFERENCE_PER_MIN: '3' } });
    const token = await limited.tokenFor('Admin');
    const statuses: number[] = [];
    let last: { status: number; body: any; headers: Headers } | undefined;
    for (let i = 0; i < 5; i++) {
      last = await limited.call('POST', '/api/v1/inference/fraud-detection', { token, body: { features: FRAUD } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 3)).toEqual([404, 404, 404]); // admitted (no such model on this api)
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(last!.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the rest of the api is untouched', () => {
  it('leaves unknown inference paths and other routes to Express', async () => {
    const other = await t.call('GET', '/api/v1/inference/fraud-detection', { token: app });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    expect((await t.call('GET', '/api/v1/models/fraud-detection', { token: app })).status).toBe(200);
    expect((await t.call('GET', '/health/live')).status).toBe(200);
  });

  it('documents the inference and routing paths in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/inference/{modelName}', '/api/v1/inference/{modelName}/batch', '/api/v1/inference/{requestId}/status', '/api/v1/routing/{modelName}/{environment}']),
    );
  });

  it('the routing routes are in the catalogue with their permissions', () => {
    const routes = t.api.catalogue.routes.map((r) => `${r.method} ${r.path} ${r.permission}`);
    expect(routes).toEqual(expect.arrayContaining(['get /api/v1/routing/:modelName/:environment models:read', 'put /api/v1/routing/:modelName/:environment routes:write']));
  });
});
