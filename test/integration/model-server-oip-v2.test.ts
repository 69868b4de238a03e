import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';

const reference = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'reference-predictions.json'), 'utf8')).models as Record<
  string,
  Record<string, { classes: string[]; rows: { tensor: (number | string)[]; label: number; probabilities: number[] }[] }>
>;

describe('Open Inference Protocol v2 (REST)', () => {
  let ms: TestModelServer;
  beforeAll(async () => {
    ms = await startTestModelServer();
    for (const [m, v] of [
      ['fraud-detection', '1.0.0'],
      ['fraud-detection', '2.0.0'],
      ['digits', '1.0.0'],
      ['sentiment', '1.0.0'],
    ] as const)
      expect((await ms.load(m, v)).status).toBe(200);
  });
  afterAll(async () => {
    await ms.close();
  });

  it('server metadata, liveness and readiness', async () => {
    const meta = await ms.call('GET', '/v2');
    expect(meta.status).toBe(200);
    expect(meta.body).toEqual({ name: 'hotswap-model-server', version: expect.any(String), extensions: ['binary_tensor_data', 'model_configuration'] });
    const live = await ms.call('GET', '/v2/health/live');
    expect(live).toMatchObject({ status: 200, body: { live: true } });
    const ready = await ms.call('GET', '/v2/health/ready');
    expect(ready).toMatchObject({ status: 200, body: { ready: true } });
  });

  it('model metadata: name, versions, platform, tensors with -1 for dynamic dims', async () => {
    const r = await ms.call('GET', '/v2/models/fraud-detection');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      name: 'fraud-detection',
      versions: ['2.0.0', '1.0.0'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 9] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    const v = await ms.call('GET', '/v2/models/fraud-detection/versions/1.0.0');
    expect(v.body.versions).toEqual(['1.0.0']);
    const s = await ms.call('GET', '/v2/models/sentiment');
    expect(s.body.inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1, 1] }]);
  });

  it('model readiness, with and without a version', async () => {
    expect(await ms.call('GET', '/v2/models/digits/ready')).toMatchObject({ status: 200, body: { name: 'digits', ready: true } });
    expect(await ms.call('GET', '/v2/models/digits/versions/1.0.0/ready')).toMatchObject({ status: 200, body: { name: 'digits', version: '1.0.0', ready: true } });
  });

  it('unknown models and versions are 404 with {"error"}', async () => {
    for (const [method, path] of [
      ['GET', '/v2/models/nope'],
      ['GET', '/v2/models/nope/ready'],
      ['POST', '/v2/models/nope/infer'],
      ['GET', '/v2/models/digits/versions/9.9.9'],
      ['POST', '/v2/models/digits/versions/9.9.9/infer'],
    ] as const) {
      const r = await ms.call(method, path, method === 'POST' ? { auth: true, body: { inputs: [] } } : {});
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: expect.stringMatching(/not loaded on this server/) });
    }
    expect((await ms.call('GET', '/v2/models/digits/other')).status).toBe(404);
    expect((await ms.call('DELETE', '/v2')).status).toBe(404);
  });

  it('infers digits with an FP32 input, nested data, id echoed; newest version when none given', async () => {
    const rows = reference.digits['1.0.0'].rows.slice(0, 3);
    const r = await ms.call('POST', '/v2/models/digits/infer', {
      auth: true,
      body: { id: 'req-1', parameters: { trace: true }, inputs: [{ name: 'float_input', shape: [3, 64], datatype: 'FP32', data: rows.map((x) => x.tensor) }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.model_name).toBe('digits');
    expect(r.body.model_version).toBe('1.0.0');
    expect(r.body.id).toBe('req-1');
    const byName = Object.fromEntries(r.body.outputs.map((o: { name: string }) => [o.name, o]));
    expect(byName.label).toEqual({ name: 'label', shape: [3], datatype: 'INT64', data: rows.map((x) => x.label) });
    expect(byName.probabilities.shape).toEqual([3, 10]);
    expect(byName.probabilities.datatype).toBe('FP32');
    byName.probabilities.data.forEach((p: number, i: number) => expect(p).toBeCloseTo(rows[Math.floor(i / 10)].probabilities[i % 10], 5));
    const newest = await ms.call('POST', '/v2/models/fraud-detection/infer', { auth: true, body: { inputs: [{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: reference['fraud-detection']['2.0.0'].rows[0].tensor }] } });
    expect(newest.body.model_version).toBe('2.0.0');
    expect(newest.body.outputs[1].data[0]).toBeCloseTo(reference['fraud-detection']['2.0.0'].rows[0].probabilities[0], 5);
  });

  it('infers sentiment with a BYTES input on a named version', async () => {
    const rows = reference.sentiment['1.0.0'].rows.slice(0, 2);
    const r = await ms.call('POST', '/v2/models/sentiment/versions/1.0.0/infer', {
      auth: true,
      body: { inputs: [{ name: 'text', shape: [2, 1], datatype: 'BYTES', data: rows.map((x) => x.tensor[0]) }], outputs: [{ name: 'label' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ model_name: 'sentiment', model_version: '1.0.0', outputs: [{ name: 'label', shape: [2], datatype: 'INT64', data: rows.map((x) => x.label) }] });
  });

  it('requested outputs select and order the outputs', async () => {
    const data = reference['fraud-detection']['1.0.0'].rows[0].tensor;
    const r = await ms.call('POST', '/v2/models/fraud-detection/versions/1.0.0/infer', {
      auth: true,
      body: { inputs: [{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data }], outputs: [{ name: 'probabilities' }] },
    });
    expect(r.body.outputs.map((o: { name: string }) => o.name)).toEqual(['probabilities']);
    const unknown = await ms.call('POST', '/v2/models/fraud-detection/versions/1.0.0/infer', {
      auth: true,
      body: { inputs: [{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data }], outputs: [{ name: 'logits' }] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/unknown output "logits"/);
  });

  const fraudRow = () => [...reference['fraud-detection']['1.0.0'].rows[0].tensor] as number[];
  const infer = (inputs: unknown, extra: Record<string, unknown> = {}) => ms.call('POST', '/v2/models/fraud-detection/versions/1.0.0/infer', { auth: true, body: { inputs, ...extra } });

  it.each<[string, unknown, RegExp]>([
    ['shape and data length disagree', [{ name: 'float_input', shape: [2, 9], datatype: 'FP32', data: [] }], /shape \[2,9\] needs 18 elements but data has 0/],
    ['wrong datatype for the model input', [{ name: 'float_input', shape: [1, 9], datatype: 'INT64', data: Array(9).fill(1) }], /datatype INT64 does not match the model input's datatype FP32/],
    ['FP64 for an FP32 input', [{ name: 'float_input', shape: [1, 9], datatype: 'FP64', data: Array(9).fill(1) }], /datatype FP64 does not match/],
    ['INT32 for an FP32 input', [{ name: 'float_input', shape: [1, 9], datatype: 'INT32', data: Array(9).fill(1) }], /datatype INT32 does not match/],
    ['BOOL for an FP32 input', [{ name: 'float_input', shape: [1, 9], datatype: 'BOOL', data: Array(9).fill(true) }], /datatype BOOL does not match/],
    ['BYTES for an FP32 input', [{ name: 'float_input', shape: [1, 9], datatype: 'BYTES', data: Array(9).fill('a') }], /datatype BYTES does not match/],
    ['an unsupported datatype', [{ name: 'float_input', shape: [1, 9], datatype: 'BF16', data: Array(9).fill(1) }], /unsupported datatype "BF16"/],
    ['FP16 for an FP32 input', [{ name: 'float_input', shape: [1, 9], datatype: 'FP16', data: Array(9).fill(1) }], /datatype FP16 does not match/],
    ['a string where FP32 needs numbers', [{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: ['1', 0, 0, 0, 0, 0, 0, 0, 0] }], /data\[0\] is "1"; FP32 needs finite numbers/],
    ['wrong rank', [{ name: 'float_input', shape: [9], datatype: 'FP32', data: Array(9).fill(0) }], /has rank 1; the model expects rank 2/],
    ['wrong fixed dimension', [{ name: 'float_input', shape: [1, 8], datatype: 'FP32', data: Array(8).fill(0) }], /does not fit the model's \[-1,9\] at dimension 1/],
    ['negative shape', [{ name: 'float_input', shape: [-1, 9], datatype: 'FP32', data: [] }], /shape must be an array of non-negative integers/],
    ['unknown input name', [{ name: 'pixels', shape: [1, 9], datatype: 'FP32', data: Array(9).fill(0) }], /unexpected input "pixels"/],
    ['missing name', [{ shape: [1, 9], datatype: 'FP32', data: Array(9).fill(0) }], /inputs\[0\].name must be a non-empty string/],
    ['missing data', [{ name: 'float_input', shape: [1, 9], datatype: 'FP32' }], /data is required/],
    ['missing datatype', [{ name: 'float_input', shape: [1, 9], data: Array(9).fill(0) }], /datatype must be a string/],
    ['an input that is not an object', ['x'], /inputs\[0\] must be an object/],
    ['an input given twice', [0, 1].map(() => ({ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: Array(9).fill(0) })), /given twice/],
    ['no inputs', [], /inputs must be a non-empty array/],
  ])('400 {"error"} for %s', async (_name, inputs, message) => {
    const r = await infer(inputs);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: expect.stringMatching(message) });
  });

  it('400 for a body that is not an infer request', async () => {
    expect((await ms.call('POST', '/v2/models/fraud-detection/infer', { auth: true, rawBody: 'nope' })).status).toBe(400);
    expect((await ms.call('POST', '/v2/models/fraud-detection/infer', { auth: true, body: [1] })).body).toEqual({ error: 'request body must be a JSON object' });
    expect((await infer([{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: fraudRow() }], { id: 5 })).body.error).toMatch(/id must be a string/);
    expect((await infer([{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: fraudRow() }], { parameters: [] })).body.error).toMatch(/parameters must be an object/);
    expect((await infer([{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: fraudRow() }], { outputs: 'label' })).body.error).toMatch(/outputs must be an array/);
    expect((await infer([{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: fraudRow() }], { outputs: [{}] })).body.error).toMatch(/outputs\[0\] must be an object with a name/);
  });

  it('accepts flat data and an empty outputs list (all outputs)', async () => {
    const r = await infer([{ name: 'float_input', shape: [1, 9], datatype: 'FP32', data: fraudRow() }], { outputs: [] });
    expect(r.status).toBe(200);
    expect(r.body.outputs).toHaveLength(2);
  });

  it('BYTES validation: every element must be a string', async () => {
    const r = await ms.call('POST', '/v2/models/sentiment/infer', { auth: true, body: { inputs: [{ name: 'text', shape: [2, 1], datatype: 'BYTES', data: ['ok', 3] }] } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/data\[1\] is 3; BYTES needs strings/);
  });
});
