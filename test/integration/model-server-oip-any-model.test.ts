import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { metricValue, startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';
import { binaryBody, bytesElements, postBinary } from '../helpers/oip-binary-body';
import { everyDatatypeModel, fixedShapeModel } from '../helpers/onnx-builder';

/**
 * Any ONNX model over OIP v2 on a model server: the committed image and token-id examples
 * (python onnxruntime's outputs in oip-samples.json), every datatype as JSON and as the
 * binary tensor data extension, the Triton-style /config, the repository index, string
 * errors everywhere under /v2, and OIP requests through the dynamic batcher.
 */
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');
const samplesOf = (model: string) => JSON.parse(readFileSync(join(EXAMPLES, model, '1.0.0', 'oip-samples.json'), 'utf8'));

let ms: TestModelServer;
const v2 = (path: string) => `${ms.url}/v2/models/${path}`;
const auth = () => ({ authorization: `Bearer ${ms.token}` });

async function loadBuilt(name: string, bytes: Buffer, options: Record<string, unknown> = { warmupRuns: 0 }) {
  const key = `models/${name}/1.0.0/model.onnx`;
  await ms.store.put(key, Readable.from([bytes]));
  const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const r = await ms.call('POST', '/control/versions', { auth: true, body: { versionId: `${name}@1.0.0`, modelName: name, version: '1.0.0', artifactKey: key, checksum, inputSchema: null, outputSchema: null, options } });
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  ms = await startTestModelServer();
  for (const m of ['colour-image', 'token-sentiment']) expect((await ms.load(m, '1.0.0', { inputSchema: null, outputSchema: null, options: { maxQueueDelayMicros: 20_000 } })).status).toBe(200);
  await loadBuilt('every-type', everyDatatypeModel());
  await loadBuilt('fixed', fixedShapeModel());
});
afterAll(() => ms?.close());

const expectOutputs = (outputs: { name: string; data: number[] }[], want: { label: number[]; probabilities: number[][] }) => {
  const by = Object.fromEntries(outputs.map((o) => [o.name, o]));
  expect(by.label.data).toEqual(want.label);
  by.probabilities.data.forEach((p: number, i: number) => expect(p).toBeCloseTo(want.probabilities.flat()[i], 5));
};

it('serves the image model ([N,3,H,W], any size) and the token-id model (two INT64 inputs) as python onnxruntime does', async () => {
  for (const m of ['colour-image', 'token-sentiment']) {
    const s = samplesOf(m);
    const r = await ms.call('POST', `/v2/models/${m}/infer`, { auth: true, body: s.request });
    expect(r.status).toBe(200);
    expectOutputs(r.body.outputs, s.outputs);
  }
  const meta = await ms.call('GET', '/v2/models/colour-image');
  expect(meta.body.inputs).toEqual([{ name: 'image', datatype: 'FP32', shape: [-1, 3, -1, -1] }]);
});

const JSON_VALUES: Record<string, unknown[]> = {
  BOOL: [true, false],
  UINT8: [0, 255],
  UINT16: [1, 65535],
  UINT32: [2, 4294967295],
  UINT64: [3, 2 ** 53 - 1],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [-(2 ** 53 - 1), 2 ** 53 - 1],
  FP16: [0.5, -65504],
  FP32: [0.25, -3.5],
  FP64: [0.1, 1e300],
  BYTES: ['héllo', ''],
};
const datatypes = Object.keys(JSON_VALUES);

it('every datatype round-trips as JSON', async () => {
  const r = await ms.call('POST', '/v2/models/every-type/infer', { auth: true, body: { inputs: datatypes.map((dt) => ({ name: `in_${dt}`, datatype: dt, shape: [1, 2], data: JSON_VALUES[dt] })) } });
  expect(r.status).toBe(200);
  for (const dt of datatypes) expect(r.body.outputs.find((o: { name: string }) => o.name === `out_${dt}`)).toEqual({ name: `out_${dt}`, datatype: dt, shape: [1, 2], data: JSON_VALUES[dt] });
});

/** The same values as little-endian bytes, written independently of the server's codec. */
const BINARY_VALUES: Record<string, Buffer> = {
  BOOL: Buffer.from([1, 0]),
  UINT8: Buffer.from([0, 255]),
  UINT16: Buffer.from(Uint16Array.from([1, 65535]).buffer),
  UINT32: Buffer.from(Uint32Array.from([2, 4294967295]).buffer),
  UINT64: Buffer.from(BigUint64Array.from([3n, 2n ** 64n - 1n]).buffer),
  INT8: Buffer.from(Int8Array.from([-128, 127]).buffer),
  INT16: Buffer.from(Int16Array.from([-32768, 32767]).buffer),
  INT32: Buffer.from(Int32Array.from([-2147483648, 2147483647]).buffer),
  INT64: Buffer.from(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]).buffer),
  FP16: Buffer.from(Uint16Array.from([0x3800, 0xfbff]).buffer),
  FP32: Buffer.from(Float32Array.from([0.25, -3.5]).buffer),
  FP64: Buffer.from(Float64Array.from([0.1, 1e300]).buffer),
  BYTES: bytesElements(['héllo', '']),
};

it('every datatype round-trips through the binary extension, byte for byte (full 64-bit range)', async () => {
  const header = { inputs: datatypes.map((dt) => ({ name: `in_${dt}`, datatype: dt, shape: [1, 2], parameters: { binary_data_size: BINARY_VALUES[dt].length } })), parameters: { binary_data_output: true } };
  const { body, headerLength } = binaryBody(header, datatypes.map((dt) => BINARY_VALUES[dt]));
  const r = await postBinary(v2('every-type/infer'), body, headerLength, auth());
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/octet-stream');
  for (const dt of datatypes) {
    const out = r.json.outputs.find((o: { name: string }) => o.name === `out_${dt}`);
    expect(out).toEqual({ name: `out_${dt}`, datatype: dt, shape: [1, 2], parameters: { binary_data_size: BINARY_VALUES[dt].length } });
    expect(r.binary[`out_${dt}`].equals(BINARY_VALUES[dt])).toBe(true);
  }
});

it('mixes JSON and binary inputs and outputs in one request', async () => {
  const s = samplesOf('token-sentiment');
  const [ids, mask] = s.request.inputs;
  const idBytes = Buffer.from(BigInt64Array.from(ids.data.map(BigInt)).buffer);
  const { body, headerLength } = binaryBody(
    { inputs: [{ ...ids, data: undefined, parameters: { binary_data_size: idBytes.length } }, mask], outputs: [{ name: 'label', parameters: { binary_data: true } }, { name: 'probabilities' }] },
    [idBytes],
  );
  const r = await postBinary(v2('token-sentiment/versions/1.0.0/infer'), body, headerLength, auth());
  expect(r.status).toBe(200);
  expect(Array.from(new BigInt64Array(new Uint8Array(r.binary.label).buffer), Number)).toEqual(s.outputs.label);
  expectOutputs([{ name: 'label', data: s.outputs.label }, r.json.outputs[1]], s.outputs);
});

it.each<[string, () => { body: Buffer; headerLength: number }, RegExp]>([
  ['a size past the end', () => binaryBody({ inputs: [{ name: 'in_FP32', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 16 } }] }, [BINARY_VALUES.FP32]), /runs past the 8 bytes/],
  ['bytes no input declares', () => binaryBody({ inputs: [{ name: 'in_FP32', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } }] }, [BINARY_VALUES.FP32, Buffer.from([1])]), /1 bytes of binary data that no input declares/],
  ['a size unlike shape × element size', () => binaryBody({ inputs: [{ name: 'in_FP32', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 8 } }] }, [BINARY_VALUES.FP32]), /has rank|does not fit|is not 3 elements/],
  ['BYTES lengths that overrun', () => binaryBody({ inputs: [{ name: 'in_BYTES', datatype: 'BYTES', shape: [1, 2], parameters: { binary_data_size: 6 } }] }, [Buffer.from([9, 0, 0, 0, 65, 66])]), /declares 9 bytes past the end/],
  ['data and binary both', () => binaryBody({ inputs: [{ name: 'in_FP32', datatype: 'FP32', shape: [1, 2], data: [1, 2], parameters: { binary_data_size: 8 } }] }, [BINARY_VALUES.FP32]), /not both/],
])('400 {"error": string} for binary data with %s', async (_what, build, message) => {
  const { body, headerLength } = build();
  const r = await postBinary(v2('every-type/infer'), body, headerLength, auth());
  expect(r.status).toBe(400);
  expect(r.json).toEqual({ error: expect.stringMatching(message) });
});

it('a binary body without Inference-Header-Content-Length is 400 naming the header', async () => {
  const res = await fetch(v2('every-type/infer'), { method: 'POST', headers: auth(), body: binaryBody({ inputs: [] }, [Buffer.from([0, 1, 2])]).body });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ error: expect.stringMatching(/Inference-Header-Content-Length/) });
});

it('GET .../config: Triton-style configuration, batch dimension left out when every dim 0 is dynamic', async () => {
  const image = await ms.call('GET', '/v2/models/colour-image/config');
  expect(image.status).toBe(200);
  expect(image.body).toMatchObject({
    name: 'colour-image',
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: 64,
    input: [{ name: 'image', data_type: 'TYPE_FP32', dims: [3, -1, -1] }],
    output: [
      { name: 'label', data_type: 'TYPE_INT64', dims: [] },
      { name: 'probabilities', data_type: 'TYPE_FP32', dims: [3] },
    ],
    dynamic_batching: { max_queue_delay_microseconds: 20_000 },
  });
  const fixed = await ms.call('GET', '/v2/models/fixed/versions/1.0.0/config');
  expect(fixed.body).toMatchObject({ max_batch_size: 0, input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [2, 2] }] });
  expect(fixed.body.dynamic_batching).toBeUndefined();
  const bytes = await ms.call('GET', '/v2/models/every-type/config');
  expect(bytes.body.input.find((i: { name: string }) => i.name === 'in_BYTES').data_type).toBe('TYPE_STRING');
  expect(await ms.call('GET', '/v2/models/nope/config')).toMatchObject({ status: 404, body: { error: expect.any(String) } });
});

it('POST /v2/repository/index lists the versions on this server', async () => {
  const r = await ms.call('POST', '/v2/repository/index');
  expect(r.status).toBe(200);
  expect(r.body).toEqual(expect.arrayContaining([{ name: 'colour-image', version: '1.0.0', state: 'READY' }, { name: 'fixed', version: '1.0.0', state: 'READY' }]));
  expect(r.body).toHaveLength(4);
  expect((await ms.call('POST', '/v2/repository/index', { body: { ready: true } })).body).toHaveLength(4);
  expect(await ms.call('POST', '/v2/repository/index', { body: { ready: 'yes' } })).toMatchObject({ status: 400, body: { error: expect.any(String) } });
});

it('server metadata lists the extensions; every /v2 error is {"error": string}', async () => {
  expect((await ms.call('GET', '/v2')).body.extensions).toEqual(['binary_tensor_data', 'model_configuration']);
  const unauthorized = await ms.call('POST', '/v2/models/colour-image/infer', { body: samplesOf('colour-image').request });
  expect(unauthorized).toMatchObject({ status: 401, body: { error: expect.stringMatching(/service/i) } });
  expect(await ms.call('GET', '/v2/nothing/here')).toMatchObject({ status: 404, body: { error: expect.stringMatching(/no route/) } });
  expect(await ms.call('GET', '/v2/models/%E0%A4%A')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/Malformed URL/) } });
});

it('OIP requests go through the dynamic batcher: concurrent requests share runs and each gets its own rows', async () => {
  const s = samplesOf('colour-image');
  const [input] = s.request.inputs;
  const rowSize = input.data.length / input.shape[0];
  const labels = { name: 'hotswap_inference_batch_size_count', sum: 'hotswap_inference_batch_size_sum' };
  const before = await ms.call('GET', '/metrics');
  const runsBefore = metricValue(before.body, labels.name, { model: 'colour-image', version: '1.0.0' }) ?? 0;
  const rows = [0, 1, 2, 3, 4, 5, 6, 7];
  const answers = await Promise.all(
    rows.map((i) => ms.call('POST', '/v2/models/colour-image/infer', { auth: true, body: { inputs: [{ ...input, shape: [1, ...input.shape.slice(1)], data: input.data.slice(i * rowSize, (i + 1) * rowSize) }] } })),
  );
  answers.forEach((r, i) => {
    expect(r.status).toBe(200);
    expectOutputs(r.body.outputs, { label: [s.outputs.label[i]], probabilities: [s.outputs.probabilities[i]] });
  });
  const after = await ms.call('GET', '/metrics');
  const runs = (metricValue(after.body, labels.name, { model: 'colour-image', version: '1.0.0' }) ?? 0) - runsBefore;
  expect(runs).toBeGreaterThan(0);
  expect(runs).toBeLessThan(rows.length);
});
