import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';
import { rank1StringModel, twoInputModel } from '../helpers/onnx-builder';

/** A version registered without a feature schema loads for /v2 only; the native JSON route says so. */
let ms: TestModelServer;
beforeAll(async () => {
  ms = await startTestModelServer();
});
afterAll(() => ms.close());

async function loadBuilt(name: string, bytes: Buffer, schemas: { inputSchema: unknown; outputSchema: unknown } = { inputSchema: null, outputSchema: null }) {
  const key = `models/${name}/1.0.0/model.onnx`;
  await ms.store.put(key, Readable.from([bytes]));
  const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return ms.call('POST', '/control/versions', { auth: true, body: { versionId: `${name}@1.0.0`, modelName: name, version: '1.0.0', artifactKey: key, checksum, ...schemas } });
}

it('loads a two-input model (FP32 [N,3] + INT64 [N,2]) as OIP-only and serves it over /v2', async () => {
  const loaded = await loadBuilt('two-inputs', twoInputModel());
  expect(loaded.status).toBe(200);
  expect(loaded.body.state).toBe('Ready');
  const r = await ms.call('POST', '/v2/models/two-inputs/versions/1.0.0/infer', {
    auth: true,
    body: { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'INT64', shape: [1, 2], data: [4, 5] }] },
  });
  expect(r.status).toBe(200);
  expect(r.body.outputs[0]).toMatchObject({ name: 'out', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] });
});

it('answers the native JSON route of an OIP-only version with 400 pointing to /v2', async () => {
  const r = await ms.call('POST', '/v1/models/two-inputs/versions/1.0.0/predict', { auth: true, body: { features: { a: 1 } } });
  expect(r.status).toBe(400);
  expect(r.body.error.code).toBe('VALIDATION_ERROR');
  expect(r.body.error.message).toMatch(/OIP-only.*\/v2\/models\/two-inputs\/versions\/1\.0\.0\/infer/);
});

it('loads a rank-1 string model as OIP-only', async () => {
  expect((await loadBuilt('rank1-text', rank1StringModel())).status).toBe(200);
  const r = await ms.call('POST', '/v2/models/rank1-text/versions/1.0.0/infer', { auth: true, body: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: ['hi', 'there'] }] } });
  expect(r.status).toBe(200);
  expect(r.body.outputs[0]).toMatchObject({ name: 'echo', shape: [2], data: ['hi', 'there'] });
});

it('still refuses the two-input model with a one-tensor feature schema, with the shared check', async () => {
  const r = await loadBuilt('two-inputs-native', twoInputModel(), {
    inputSchema: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } }, 'x-hotswap-tensor': { name: 'a', encoding: 'dense', order: ['x', 'y', 'z'] } },
    outputSchema: { 'x-hotswap-outputs': { task: 'regression', valueOutput: 'out' } },
  });
  expect(r.status).toBe(422);
  expect(r.body.reason).toMatch(/graph input "b" is not fed by the inputSchema/);
  expect(r.body.reason).toMatch(/"out" has 5 values per row/);
});

it('refuses one schema without the other', async () => {
  const r = await loadBuilt('half', twoInputModel(), { inputSchema: { type: 'object' }, outputSchema: null });
  expect(r.status).toBe(400);
});
