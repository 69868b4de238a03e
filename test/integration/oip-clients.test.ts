import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolsDir } from '../../ops/repo-paths';
import { uploadForm } from '../helpers/example-models';
import { loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, waitForReady, type GatewayApi, type RegisteredVersion } from '../helpers/gateway-harness';
import type { TestModelServer } from '../helpers/model-server-harness';
import { binaryBody, postBinary } from '../helpers/oip-binary-body';
import { twoInputModel } from '../helpers/onnx-builder';

/**
 * Real clients over OIP v2: Python tritonclient (HTTP, JSON and binary_data=True) against the
 * gateway and a model server, for the multi-input, image and token-id models (all OIP-only).
 * The virtualenv comes from scripts/setup-tools.sh (tritonclient[http] in pyenv-clients).
 */
const PYTHON = join(toolsDir(), 'pyenv-clients', 'bin', 'python');
const SCRIPT = join(__dirname, '..', 'helpers', 'tritonclient_check.py');
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');
const samplesOf = (model: string) => JSON.parse(readFileSync(join(EXAMPLES, model, '1.0.0', 'oip-samples.json'), 'utf8'));

interface Case {
  model: string;
  version?: string;
  inputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[];
  outputs: string[];
  binary: boolean;
}

interface Target {
  url: string;
  headers: Record<string, string>;
  cases: Case[];
}

function tritonclient(targets: Target[]): Promise<any[]> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/setup-tools.sh (it installs tritonclient[http])`);
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tritonclient script failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(targets.map((x) => ({ ...x, url: x.url.replace(/^http:\/\//, '') }))));
  });
}

let t: GatewayApi;
let ms: TestModelServer;
let app: string;
const image = samplesOf('colour-image');
const text = samplesOf('token-sentiment');
const twoInputs = {
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    { name: 'b', datatype: 'INT64', shape: [2, 2], data: [7, 8, 9, 10] },
  ],
  out: [
    [1, 2, 3, 7, 8],
    [4, 5, 6, 9, 10],
  ],
};

const cases = (binary: boolean, version?: string): Case[] => [
  { model: 'colour-image', ...(version && { version }), inputs: image.request.inputs, outputs: ['label', 'probabilities'], binary },
  { model: 'token-sentiment', ...(version && { version }), inputs: text.request.inputs, outputs: ['label', 'probabilities'], binary },
  { model: 'two-inputs', ...(version && { version }), inputs: twoInputs.inputs, outputs: ['out'], binary },
];

/**
 * What every run must show: the examples' python onnxruntime outputs and the two-input concat,
 * for the JSON cases and then the binary ones; metadata, config, index, a string error.
 */
function expectAnswers(r: any) {
  expect(r).toMatchObject({ live: true, ready: true, server: { extensions: ['binary_tensor_data', 'model_configuration'] } });
  expect(r.index).toEqual(expect.arrayContaining(['colour-image', 'token-sentiment', 'two-inputs'].map((name) => expect.objectContaining({ name, version: '1.0.0', state: 'READY' }))));
  expect(r.models['colour-image']).toMatchObject({ ready: true, metadata: { inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, 3, -1, -1] }] }, config: { max_batch_size: 64, input: [{ name: 'image', data_type: 'TYPE_FP32', dims: [3, -1, -1] }] } });
  expect(r.models['token-sentiment'].config.input.map((i: { name: string; data_type: string }) => [i.name, i.data_type])).toEqual([['input_ids', 'TYPE_INT64'], ['attention_mask', 'TYPE_INT64']]);
  expect(r.cases).toHaveLength(6);
  for (const binary of [false, true]) {
    const [img, txt, two] = r.cases.slice(binary ? 3 : 0);
    for (const [c, s] of [[img, image], [txt, text]] as const) {
      expect(c.id).toBe('tc-1');
      expect(c.outputs.label).toEqual(s.outputs.label);
      c.outputs.probabilities.flat().forEach((p: number, i: number) => expect(p).toBeCloseTo(s.outputs.probabilities.flat()[i], 5));
      expect(c.binary).toEqual(binary ? ['label', 'probabilities'] : []);
    }
    expect(two.outputs.out).toEqual(twoInputs.out);
  }
  expect(r.unknown).toEqual({ message: expect.stringMatching(/no-such-model/), status: expect.any(String) });
}

/** Registers the two-input model built in TS as `version` (the model on first use). */
async function registerBuilt(admin: string, version: string): Promise<RegisteredVersion> {
  const reg =
    version === '1.0.0'
      ? await t.call('POST', '/api/v1/models', { token: admin, rawBody: uploadForm({ name: 'two-inputs', framework: 'ONNX', type: 'Other', version }, twoInputModel()) })
      : await t.call('POST', '/api/v1/models/two-inputs/versions', { token: admin, rawBody: uploadForm({ version }, twoInputModel()) });
  expect(reg.status).toBe(201);
  const v = (await t.call('GET', `/api/v1/models/two-inputs/versions/${version}`, { token: admin })).body;
  return { modelId: v.modelId, modelName: 'two-inputs', versionId: v.versionId, version, artifactKey: String(v.artifactPath).replace(/^fs:\/\//, ''), checksum: v.checksum, inputSchema: null, outputSchema: null };
}

beforeAll(async () => {
  t = await startGatewayApi();
  const admin = await t.tokenFor('Admin');
  app = await t.tokenFor('Application');
  const versions = [await registerExample(t, admin, 'colour-image', '1.0.0'), await registerExample(t, admin, 'token-sentiment', '1.0.0'), await registerBuilt(admin, '1.0.0'), await registerBuilt(admin, '2.0.0')];
  ms = await startFleetServer(t);
  for (const v of versions) {
    expect(v.inputSchema).toBeNull();
    await loadOn(ms, v);
  }
  for (const v of versions) await waitForReady(t, v);
  for (const m of ['colour-image', 'token-sentiment']) await setRoute(t, admin, m, { pools: [{ version: '1.0.0', weight: 100 }] });
  // two-inputs 2.0.0 shadows 1.0.0: binary requests are mirrored with their framing.
  await setRoute(t, admin, 'two-inputs', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '2.0.0', percentage: 100 } });
});
afterAll(async () => {
  await t?.close();
  await ms?.close();
});

it('tritonclient (JSON, then binary_data=True) through the gateway (routed) and on a model server (versions named)', async () => {
  const [gateway, server] = await tritonclient([
    { url: t.url, headers: { Authorization: `Bearer ${app}` }, cases: [...cases(false), ...cases(true)] },
    { url: ms.url, headers: { Authorization: `Bearer ${ms.token}` }, cases: [...cases(false, '1.0.0'), ...cases(true, '1.0.0')] },
  ]);
  expectAnswers(gateway);
  expectAnswers(server);
});

it('the gateway passes binary bodies both ways, logs their JSON part and answers errors as {"error": string}', async () => {
  const ids = text.request.inputs[0];
  const idBytes = Buffer.from(BigInt64Array.from(ids.data.map(BigInt)).buffer);
  const { body, headerLength } = binaryBody({ id: 'bin-1', inputs: [{ name: ids.name, datatype: 'INT64', shape: ids.shape, parameters: { binary_data_size: idBytes.length } }, text.request.inputs[1]], outputs: [{ name: 'label', parameters: { binary_data: true } }] }, [idBytes]);
  const r = await postBinary(`${t.url}/v2/models/token-sentiment/infer`, body, headerLength, { authorization: `Bearer ${app}`, 'x-request-id': 'oip-bin-1' });
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ id: 'bin-1', model_name: 'token-sentiment', outputs: [{ name: 'label', datatype: 'INT64', parameters: { binary_data_size: text.outputs.label.length * 8 } }] });
  expect(Array.from(new BigInt64Array(new Uint8Array(r.binary.label).buffer), Number)).toEqual(text.outputs.label);
  const logged = t.sink.records.find((x) => x.requestId === 'oip-bin-1');
  expect(logged).toMatchObject({ status: 'Completed', features: [{ name: 'input_ids', parameters: { binary_data_size: idBytes.length } }, { name: 'attention_mask' }], outputs: [{ name: 'label' }] });
  const bad = await postBinary(`${t.url}/v2/models/token-sentiment/infer`, body.subarray(0, body.length - 8), headerLength, { authorization: `Bearer ${app}` });
  expect(bad).toMatchObject({ status: 400, json: { error: expect.stringMatching(/runs past/) } });
  const res = await fetch(`${t.url}/v2/models/token-sentiment/infer`, { method: 'POST', headers: { authorization: `Bearer ${app}`, 'inference-header-content-length': 'abc' }, body });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ error: expect.stringMatching(/Inference-Header-Content-Length must be a byte count/) });
  const config = await t.call('GET', '/v2/models/two-inputs/config', { token: app });
  expect(config.body).toMatchObject({ name: 'two-inputs', max_batch_size: 64, input: [{ name: 'a', dims: [3] }, { name: 'b', data_type: 'TYPE_INT64', dims: [2] }] });
  expect(await t.call('GET', '/v2/models/two-inputs/config')).toMatchObject({ status: 401, body: { error: expect.any(String) } });
  expect(await t.call('GET', '/v2/models/%E0%A4%A/config', { token: app })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/Malformed URL/) } });
});

it('a binary request is mirrored to the shadow version with its framing, and both are logged', async () => {
  const a = Buffer.from(Float32Array.from([1, 2, 3]).buffer);
  const { body, headerLength } = binaryBody(
    { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: a.length } }, { name: 'b', datatype: 'INT64', shape: [1, 2], data: [4, 5] }], parameters: { binary_data_output: true } },
    [a],
  );
  const r = await postBinary(`${t.url}/v2/models/two-inputs/infer`, body, headerLength, { authorization: `Bearer ${app}`, 'x-request-id': 'oip-shadow-1' });
  expect(r.status).toBe(200);
  expect(Array.from(new Float32Array(new Uint8Array(r.binary.out).buffer))).toEqual([1, 2, 3, 4, 5]);
  await t.sink.waitFor((rs) => rs.some((x) => x.primaryRequestId === 'oip-shadow-1'));
  const shadow = t.sink.records.find((x) => x.primaryRequestId === 'oip-shadow-1');
  expect(shadow).toMatchObject({ role: 'shadow', version: '2.0.0', status: 'Completed', features: [{ name: 'a', parameters: { binary_data_size: 12 } }, { name: 'b', data: [4, 5] }], outputs: [{ name: 'out', parameters: { binary_data_size: 20 } }] });
});

it('the OpenAPI document covers /v2', async () => {
  const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/v2', '/v2/health/ready', '/v2/repository/index', '/v2/models/{modelName}/config', '/v2/models/{modelName}/versions/{version}/infer']),
  );
  expect(Object.keys(doc.paths['/v2/models/{modelName}/infer'].post.requestBody.content)).toEqual(['application/json', 'application/octet-stream']);
});
