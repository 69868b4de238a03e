import type { TestModelServer } from '../helpers/model-server-harness';
import { uploadForm } from '../helpers/example-models';
import { serveRegistered, startGatewayApi, type GatewayApi } from '../helpers/gateway-harness';
import { twoInputModel } from '../helpers/onnx-builder';

/**
 * A two-input model registered without a feature schema, end to end: the registry takes it as
 * OIP-only, a model server loads it, the gateway serves it over /v2, and the JSON features
 * route says to use /v2.
 */
/** Registers the model without a feature schema, then loads it on a new model server and routes Production to it. */
async function serveTwoInputs(): Promise<{ t: GatewayApi; ms: TestModelServer; app: string }> {
  const api = await startGatewayApi();
  const admin = await api.tokenFor('Admin');
  const reg = await api.call('POST', '/api/v1/models', { token: admin, rawBody: uploadForm({ name: 'two-inputs', framework: 'ONNX', type: 'Other', version: '1.0.0' }, twoInputModel()) });
  expect(reg.status).toBe(201);
  const v = (await api.call('GET', '/api/v1/models/two-inputs/versions/1.0.0', { token: admin })).body;
  expect(v).toMatchObject({ interface: 'oip', inputSchema: null, outputSchema: null });
  const artifactKey = String(v.artifactPath).replace(/^fs:\/\//, '');
  const server = await serveRegistered(api, admin, { modelId: v.modelId, modelName: 'two-inputs', versionId: v.versionId, version: '1.0.0', artifactKey, checksum: v.checksum, inputSchema: null, outputSchema: null });
  return { t: api, ms: server, app: await api.tokenFor('Application') };
}

let w: Awaited<ReturnType<typeof serveTwoInputs>>;
beforeAll(async () => {
  w = await serveTwoInputs();
});
afterAll(async () => {
  await w?.t.close();
  await w?.ms.close();
});

it('serves the OIP-only version over /v2 through the gateway', async () => {
  const res = await w.t.call('POST', '/v2/models/two-inputs/infer', {
    token: w.app,
    body: { inputs: [{ name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, { name: 'b', datatype: 'INT64', shape: [2, 2], data: [7, 8, 9, 10] }] },
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ model_name: 'two-inputs', model_version: '1.0.0' });
  expect(res.body.outputs[0]).toMatchObject({ name: 'out', shape: [2, 5], data: [1, 2, 3, 7, 8, 4, 5, 6, 9, 10] });
});

it('answers the JSON features API for it with 400 pointing to /v2', async () => {
  const res = await w.t.call('POST', '/api/v1/inference/two-inputs', { token: w.app, body: { features: { a: 1 } } });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_ERROR');
  expect(res.body.error.message).toMatch(/no feature schema \(OIP-only\).*\/v2\/models\/two-inputs\/versions\/1\.0\.0\/infer/);
});
