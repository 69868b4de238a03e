import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestModelServer } from '../helpers/model-server-harness';
import { loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, waitForReady, type GatewayApi } from '../helpers/gateway-harness';

/**
 * The Open Inference Protocol v2 through the gateway: what a KServe or Triton HTTP client sends,
 * unmodified, routed by the routing table when the path names no version.
 */
const reference = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'reference-predictions.json'), 'utf8')).models as Record<
  string,
  Record<string, { classes: string[]; rows: { tensor: number[]; label: number; probabilities: number[] }[] }>
>;
const rows = reference['fraud-detection']['1.0.0'].rows.slice(0, 3);
const inferBody = (id?: string) => ({
  ...(id && { id }),
  inputs: [{ name: 'float_input', datatype: 'FP32', shape: [rows.length, rows[0].tensor.length], data: rows.flatMap((r) => r.tensor) }],
});

let t: GatewayApi;
let ms: TestModelServer;
let app: string;

beforeAll(async () => {
  t = await startGatewayApi();
  const admin = await t.tokenFor('Admin');
  app = await t.tokenFor('Application');
  const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  const v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
  ms = await startFleetServer(t);
  await loadOn(ms, v1);
  await loadOn(ms, v2);
  await waitForReady(t, v1);
  await waitForReady(t, v2);
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '2.0.0', weight: 100 }] }, 'Staging');
});

afterAll(async () => {
  await t?.close();
  await ms?.close();
});

const v2call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.call(method, path, { token: app, ...(body !== undefined && { body }), headers });

it('server metadata, liveness and readiness answer without credentials', async () => {
  expect(await t.call('GET', '/v2')).toMatchObject({ status: 200, body: { name: 'hotswap-gateway', version: expect.any(String), extensions: ['binary_tensor_data', 'model_configuration'] } });
  expect(await t.call('GET', '/v2/health/live')).toMatchObject({ status: 200, body: { live: true } });
  expect(await t.call('GET', '/v2/health/ready')).toMatchObject({ status: 200, body: { ready: true } });
});

it('model metadata and readiness of the routed version, or of a named one', async () => {
  const meta = await v2call('GET', '/v2/models/fraud-detection');
  expect(meta.status).toBe(200);
  expect(meta.body).toEqual({
    name: 'fraud-detection',
    versions: ['1.0.0'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 9] }],
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ],
  });
  expect((await v2call('GET', '/v2/models/fraud-detection/versions/2.0.0')).body.versions).toEqual(['2.0.0']);
  expect((await v2call('GET', '/v2/models/fraud-detection', undefined, { 'x-hotswap-environment': 'Staging' })).body.versions).toEqual(['2.0.0']);
  expect(await v2call('GET', '/v2/models/fraud-detection/ready')).toMatchObject({ status: 200, body: { name: 'fraud-detection', ready: true } });
  expect(await v2call('GET', '/v2/models/fraud-detection/versions/2.0.0/ready')).toMatchObject({ status: 200, body: { name: 'fraud-detection', version: '2.0.0', ready: true } });
});

it('infer follows the routing table without a version, and the path with one', async () => {
  const routed = await v2call('POST', '/v2/models/fraud-detection/infer', inferBody('req-1'));
  expect(routed.status).toBe(200);
  expect(routed.body).toMatchObject({ id: 'req-1', model_name: 'fraud-detection', model_version: '1.0.0' });
  const labels = routed.body.outputs.find((o: { name: string }) => o.name === 'label');
  expect(labels).toMatchObject({ datatype: 'INT64', shape: [3], data: rows.map((r) => r.label) });
  const probs = routed.body.outputs.find((o: { name: string }) => o.name === 'probabilities');
  rows.flatMap((r) => r.probabilities).forEach((p, i) => expect(probs.data[i]).toBeCloseTo(p, 5));

  const staging = await v2call('POST', '/v2/models/fraud-detection/infer?environment=staging', inferBody());
  expect(staging.body.model_version).toBe('2.0.0');
  const named = await v2call('POST', '/v2/models/fraud-detection/versions/2.0.0/infer', { ...inferBody(), outputs: [{ name: 'label' }] });
  expect(named.status).toBe(200);
  expect(named.body.model_version).toBe('2.0.0');
  expect(named.body.outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
});

it('records v2 predictions with their tensors', async () => {
  const before = t.sink.records.length;
  await v2call('POST', '/v2/models/fraud-detection/infer', inferBody(), { 'x-request-id': 'oip-rec-1' });
  await t.sink.waitFor((rs) => rs.length > before);
  const rec = t.sink.records.find((r) => r.requestId === 'oip-rec-1');
  expect(rec).toMatchObject({ modelName: 'fraud-detection', version: '1.0.0', role: 'primary', status: 'Completed', environment: 'Production' });
  expect(rec!.features).toEqual(inferBody().inputs);
  expect(Array.isArray(rec!.outputs)).toBe(true);
});

it('errors use the protocol body {"error": "..."}', async () => {
  const anonymous = await t.call('POST', '/v2/models/fraud-detection/infer', { body: inferBody() });
  expect(anonymous.status).toBe(401);
  expect(anonymous.body).toEqual({ error: expect.any(String) });

  const unknown = await v2call('POST', '/v2/models/no-such-model/infer', inferBody());
  expect(unknown.status).toBe(404);
  expect(unknown.body).toEqual({ error: expect.stringContaining('no-such-model') });

  const noVersion = await v2call('GET', '/v2/models/fraud-detection/versions/9.9.9');
  expect(noVersion.status).toBe(404);

  const badShape = await v2call('POST', '/v2/models/fraud-detection/infer', { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 9], data: [1, 2, 3] }] });
  expect(badShape.status).toBe(400);
  expect(badShape.body).toEqual({ error: expect.any(String) });

  const wrongMethod = await v2call('GET', '/v2/models/fraud-detection/infer');
  expect(wrongMethod.status).toBe(404);
  expect(wrongMethod.body).toEqual({ error: expect.any(String) });

  const noRoute = await v2call('POST', '/v2/models/fraud-detection/infer', inferBody(), { 'x-hotswap-environment': 'Development' });
  expect(noRoute.status).toBe(503);
  expect(noRoute.body).toEqual({ error: expect.stringContaining('no route') });
});
