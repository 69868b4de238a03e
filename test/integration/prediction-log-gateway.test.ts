/**
 * The prediction log behind the real gateway: requests served through the lean inference path
 * (single, batch, a schema error, shadow mirroring) land in `predictions` and the metric
 * buckets, and the request ids the callers received take ground truth.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestModelServer } from '../helpers/model-server-harness';
import { loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, until, waitForReady, type GatewayApi, type RegisteredVersion } from '../helpers/gateway-harness';
import { exampleModel } from '../helpers/example-models';
import { addressOf } from '../../infra/mongo/prediction-log-address';
import { PredictionLogRepository, type PredictionDoc } from '../../infra/mongo/prediction-log-repository';

jest.setTimeout(120_000);

const samples = JSON.parse(readFileSync(join(exampleModel('fraud-detection', '1.0.0').dir, 'samples.json'), 'utf8')) as { instances: Record<string, unknown>[]; labels: string[] };

let t: GatewayApi;
let server: TestModelServer;
let admin: string;
let app: string;
let v1: RegisteredVersion;
let v2: RegisteredVersion;

beforeAll(async () => {
  t = await startGatewayApi({ env: { PREDICTION_LOG_FLUSH_MS: '50', METRICS_FLUSH_MS: '200' } });
  admin = await t.tokenFor('Admin');
  app = await t.tokenFor('Application');
  v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
  server = await startFleetServer(t);
  for (const v of [v1, v2]) await loadOn(server, v);
  await waitForReady(t, v1, 1);
  await waitForReady(t, v2, 1);
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '2.0.0', percentage: 100 } });
});

afterAll(async () => {
  await t?.close();
  await server?.close();
});

it('logs every prediction the gateway serves, and its request ids take feedback', async () => {
  const single = await Promise.all(
    samples.instances.slice(0, 40).map((features) => t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features } })),
  );
  expect(single.every((r) => r.status === 200)).toBe(true);
  const batch = await t.call('POST', '/api/v1/inference/fraud-detection/batch', { token: app, body: { instances: samples.instances.slice(40, 50) } });
  expect(batch.status).toBe(200);
  const bad = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: { transaction_amount: -1 } } });
  expect(bad.status).toBe(400);

  // 40 single + 10 batch rows + 1 failure, each with a shadow copy for the successes.
  const ids = [...single.map((r) => r.body.requestId as string), ...Array.from({ length: 10 }, (_, i) => `${batch.body.requestId}:${i}`)];
  const log = new PredictionLogRepository(t.api.mongo.db);
  let entries: PredictionDoc[] = [];
  await until('predictions logged', async () => {
    entries = await log.readAll();
    return entries.filter((e) => e.role === 'shadow').length >= 50 && entries.filter((e) => e.role === 'primary').length >= 51;
  }, 20_000);
  const byId = new Map(entries.map((e) => [e._id, e]));
  const first = byId.get(ids[0]);
  expect(first).toMatchObject({ requestId: ids[0], modelId: v1.modelId, modelName: 'fraud-detection', version: '1.0.0', versionId: v1.versionId, environment: 'Production', role: 'primary', status: 'Completed', features: samples.instances[0], outputs: { label: single[0].body.prediction.label } });
  expect(first!.latencyMs).toBeGreaterThan(0);
  expect(first!.time).toBeInstanceOf(Date);
  expect(byId.get(`${ids[0]}:shadow`)).toMatchObject({ role: 'shadow', version: '2.0.0', primaryRequestId: ids[0] });
  expect(entries.filter((e) => e.status === 'Failed' && e.errorCode === 'SCHEMA_VALIDATION_ERROR')).toHaveLength(1);
  // The same entries by request id, as feedback reads them: the gateway minted the ids, so
  // they are filed by address (<writer>:<second>:<seq> segments, no ids array).
  expect(ids.every((id) => addressOf(id) !== undefined)).toBe(true);
  expect(await log.col.countDocuments({ ids: ids[0] })).toBe(0);
  expect((await log.findByRequestIds([ids[0], ids[49], `${ids[0]}:shadow`])).map((e) => e._id).sort()).toEqual([ids[0], ids[49], `${ids[0]}:shadow`].sort());

  // Ground truth for what the callers received.
  const fb = await t.call('POST', '/api/v1/inference/fraud-detection/feedback', { token: app, body: { feedback: ids.map((requestId, i) => ({ requestId, label: samples.labels[i] })) } });
  expect(fb.status).toBe(200);
  expect(fb.body.recorded).toBe(50);
  const predicted = [...single.map((r) => r.body.prediction.label), ...batch.body.predictions.map((p: { label: string }) => p.label)];
  const accuracy = predicted.filter((p, i) => p === samples.labels[i]).length / 50;

  await t.api.predictions.flush();
  const m = (await t.call('GET', '/api/v1/models/fraud-detection/metrics?window=PT10M&version=1.0.0', { token: admin })).body.metrics;
  expect(m).toMatchObject({ totalRequests: 51, successfulInferences: 50, clientErrors: 1, serverErrors: 0, labelledCount: 50 });
  expect(m.accuracy).toBeCloseTo(accuracy, 6);
  const shadow = (await t.call('GET', '/api/v1/models/fraud-detection/metrics?window=PT10M&version=2.0.0', { token: admin })).body.metrics;
  expect(shadow.totalRequests).toBe(50);
  expect(shadow.labelledCount).toBe(50);
  expect(shadow.shadowCompared).toBe(50);

  const scrape = await fetch(`${t.url}/metrics`).then((r) => r.text());
  expect(scrape).toMatch(/hotswap_prediction_log_written_total\{service="api"\} 101\b/);
  expect(scrape).toMatch(/hotswap_prediction_log_queue_depth\{service="api"\} 0\b/);
  expect(scrape).toMatch(/hotswap_prediction_log_spilled_total\{service="api"\} 0\b/);
});

it('carries the caller’s W3C trace id to the model server and into the prediction log', async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const headers = { traceparent: `00-${traceId}-b7ad6b7169203331-01` };
  const ok = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: samples.instances[0] }, headers });
  expect(ok.status).toBe(200);
  // The model server refuses these features; its error body names the trace id it received.
  const bad = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: { transaction_amount: -1 } }, headers });
  expect(bad.status).toBe(400);
  expect(bad.body.error.traceId).toBe(traceId);

  const log = new PredictionLogRepository(t.api.mongo.db);
  await t.api.predictions.flush();
  const badId = bad.headers.get('x-request-id')!;
  const found = new Map((await log.findByRequestIds([ok.body.requestId, badId])).map((e) => [e._id, e]));
  expect(found.get(ok.body.requestId)).toMatchObject({ traceId, status: 'Completed' });
  expect(found.get(badId)).toMatchObject({ traceId, status: 'Failed' });
  await until('shadow copy logged', async () => (await log.findByRequestIds([`${ok.body.requestId}:shadow`])).filter((e) => e.traceId === traceId).length === 1, 20_000);
});

it('reads the log back through the API: one request with its shadow copy, and a version’s newest predictions', async () => {
  const scientist = await t.tokenFor('DataScientist');
  const served = [];
  for (const features of samples.instances.slice(0, 6)) served.push(await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features } }));
  expect(served.every((r) => r.status === 200)).toBe(true);
  const last = served[served.length - 1].body;
  // Straight away: the entry may still be in this process's buffer, and is found there.
  const one = await t.call('GET', `/api/v1/models/fraud-detection/predictions/${last.requestId}`, { token: scientist });
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({ modelName: 'fraud-detection', prediction: { requestId: last.requestId, version: '1.0.0', role: 'primary', status: 'Completed', features: samples.instances[5], outputs: { label: last.prediction.label }, cached: false } });
  expect(Date.parse(one.body.prediction.time)).toBeGreaterThan(Date.now() - 60_000);

  await t.api.predictions.flush();
  await until('shadow copy logged', async () => (await t.call('GET', `/api/v1/models/fraud-detection/predictions/${last.requestId}`, { token: scientist })).body.shadows?.length === 1, 20_000);
  const withShadow = await t.call('GET', `/api/v1/models/fraud-detection/predictions/${last.requestId}`, { token: scientist });
  expect(withShadow.body.shadows[0]).toMatchObject({ requestId: `${last.requestId}:shadow`, version: '2.0.0', role: 'shadow', primaryRequestId: last.requestId, features: samples.instances[5] });

  const list = await t.call('GET', '/api/v1/models/fraud-detection/predictions?version=1.0.0&role=primary&status=Completed&window=PT10M&limit=3', { token: scientist });
  expect(list.status).toBe(200);
  expect(list.body).toMatchObject({ modelName: 'fraud-detection', version: '1.0.0', environment: 'Production' });
  expect(list.body.predictions.map((p: { requestId: string }) => p.requestId)).toEqual(served.slice(3).reverse().map((r) => r.body.requestId));
  const shadowList = await t.call('GET', `/api/v1/models/fraud-detection/predictions?version=2.0.0&environment=production&window=PT10M&limit=1000`, { token: scientist });
  expect(shadowList.body.predictions.every((p: { role: string }) => p.role === 'shadow')).toBe(true);
  expect(shadowList.body.predictions.map((p: { requestId: string }) => p.requestId)).toContain(`${last.requestId}:shadow`);
  const failed = await t.call('GET', '/api/v1/models/fraud-detection/predictions?version=1.0.0&status=Failed&window=PT10M', { token: scientist });
  expect(failed.body.predictions.length).toBeGreaterThanOrEqual(1);
  expect(failed.body.predictions.every((p: { status: string; errorCode?: string }) => p.status === 'Failed' && p.errorCode)).toBe(true);
});

it('refuses bad reads of the log with the spec’s error body, and callers without metrics:read', async () => {
  const scientist = await t.tokenFor('DataScientist');
  const get = (path: string, token = scientist) => t.call('GET', path, { token });
  const cases: [string, number, string, string?][] = [
    ['/api/v1/models/fraud-detection/predictions/no-such-request', 404, 'NOT_FOUND', 'requestId'],
    ['/api/v1/models/no-such-model/predictions/x', 404, 'MODEL_NOT_FOUND'],
    ['/api/v1/models/fraud-detection/predictions', 400, 'VALIDATION_ERROR', 'query.version'],
    ['/api/v1/models/fraud-detection/predictions?version=9.9.9', 404, 'VERSION_NOT_FOUND'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&role=boss', 400, 'VALIDATION_ERROR', 'query.role'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&environment=moon', 400, 'VALIDATION_ERROR', 'query.environment'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&limit=0', 400, 'VALIDATION_ERROR', 'query.limit'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&window=PT1X', 400, 'VALIDATION_ERROR', 'query.window'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&window=P30D', 400, 'VALIDATION_ERROR', 'query.from'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&from=2026-11-28T10:00:00Z&to=2026-11-28T09:00:00Z', 400, 'VALIDATION_ERROR', 'query.from'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&from=yesterday', 400, 'VALIDATION_ERROR', 'query.from'],
    ['/api/v1/models/fraud-detection/predictions?version=1.0.0&colour=red', 400, 'VALIDATION_ERROR'],
  ];
  for (const [path, status, code, field] of cases) {
    const r = await get(path);
    expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status, code });
    if (field) expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  }
  expect((await get('/api/v1/models/fraud-detection/predictions?version=1.0.0', app)).status).toBe(403);
});
