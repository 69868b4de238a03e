import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startTestApi, type TestApi } from '../helpers/api-harness';
import { exampleModel, uploadForm } from '../helpers/example-models';
import { rank1StringModel, twoInputModel } from '../helpers/onnx-builder';
import { filesUnder } from '../helpers/files-under';
import { schemaVariants } from '../helpers/schema-variants';

/** The registry reads the ONNX graph at registration and refuses what cannot be served. */
const fraud = exampleModel('fraud-detection', '1.0.0');
const sentiment = exampleModel('sentiment', '1.0.0');
const GARBAGE = Buffer.from('this is garbage.onnx, not an ONNX model\n');
const fin = fraud.metadata.inputSchema;
const fout = fraud.metadata.outputSchema;
const { tensor, outputs } = schemaVariants(fin, fout);

let t: TestApi;
let ds: string;
beforeAll(async () => {
  t = await startTestApi({ RATE_LIMIT_REGISTER_PER_MIN: '1000' });
  ds = await t.tokenFor('DataScientist');
});
afterAll(() => t.close());

const storedFiles = () => filesUnder(t.artifactDir);

const model = (name: string, extra: Record<string, unknown> = {}) => ({ name, framework: 'ONNX', type: 'Classification', version: '1.0.0', ...extra });
const upload = (metadata: Record<string, unknown>, artifact: Buffer) => t.call('POST', '/api/v1/models', { token: ds, rawBody: uploadForm(metadata, artifact) });

/** Registration refused with 400 and exactly these fields in details; no model, no version, no artifact left. */
async function expectRefused(res: Awaited<ReturnType<typeof upload>>, name: string, fields: string[], before: string[]) {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_ERROR');
  expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
  expect(storedFiles()).toEqual(before);
  expect((await t.call('GET', `/api/v1/models/${name}`, { token: ds })).status).toBe(404);
  expect(await t.api.mongo.db.collection('model_versions').countDocuments({ modelName: name })).toBe(0);
}

describe('schemas that do not fit the graph are refused at registration, every problem named, nothing stored', () => {
  it.each<[string, Buffer, unknown, unknown, string[], RegExp]>([
    ['wrong tensor name', fraud.onnx, tensor({ name: 'input' }), fout, ['inputSchema.x-hotswap-tensor.name', 'inputSchema.x-hotswap-tensor.name'], /no input named "input"/],
    ['wrong column count', fraud.onnx, tensor({ order: ['transaction_amount', 'user_age_days'] }), fout, ['inputSchema.x-hotswap-tensor.order'], /takes 9 columns but the inputSchema encodes 2/],
    ['unknown output', fraud.onnx, fin, outputs({ probabilitiesOutput: 'probs' }), ['outputSchema.x-hotswap-outputs.probabilitiesOutput'], /no output named "probs"/],
    ['bad encoding', fraud.onnx, tensor({ encoding: 'onehot' }), fout, ['inputSchema.x-hotswap-tensor.encoding'], /must be "dense" or "string"/],
    ['classification without classes', fraud.onnx, fin, outputs({}, ['classes']), ['outputSchema.x-hotswap-outputs.classes'], /non-empty array of class labels/],
    ['classes unlike the graph', fraud.onnx, fin, outputs({ classes: ['a', 'b', 'c'] }), ['outputSchema.x-hotswap-outputs.classes'], /has 2 columns but x-hotswap-outputs.classes lists 3/],
    ['string encoding on a float input', fraud.onnx, { ...sentiment.metadata.inputSchema, 'x-hotswap-tensor': { name: 'float_input', encoding: 'string', order: ['text'] } }, fout,
      ['inputSchema.x-hotswap-tensor.encoding', 'inputSchema.x-hotswap-tensor.order'], /string encoding feeds BYTES/],
    ['a two-input model (FP32 [N,3] + INT64 [N,2]) with a one-tensor schema', twoInputModel(),
      { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } }, 'x-hotswap-tensor': { name: 'a', encoding: 'dense', order: ['x', 'y', 'z'] } },
      { type: 'object', 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'out', classes: [1, 2, 3, 4, 5] } }, ['inputSchema.x-hotswap-tensor.name'], /graph input "b" is not fed by the inputSchema/],
    ['a rank-1 string model with the sentiment schema', rank1StringModel(), sentiment.metadata.inputSchema, { type: 'object', 'x-hotswap-outputs': { task: 'regression', valueOutput: 'echo' } },
      ['inputSchema.x-hotswap-tensor'], /graph input "text" has rank 1/],
  ])('%s', async (label, artifact, inputSchema, outputSchema, fields, message) => {
    const before = storedFiles();
    const name = `bad-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 60);
    const res = await upload(model(name, { inputSchema, outputSchema }), artifact);
    await expectRefused(res, name, fields, before);
    expect(res.body.error.details.map((d: { message: string }) => d.message).join('\n')).toMatch(message);
  });

  it('reports every problem of one request together', async () => {
    const before = storedFiles();
    const res = await upload(model('bad-many', { inputSchema: tensor({ name: 'input', encoding: 'onehot' }), outputSchema: outputs({ probabilitiesOutput: 'probs', labelOutput: 'predicted' }) }), fraud.onnx);
    await expectRefused(res, 'bad-many', ['inputSchema.x-hotswap-tensor.encoding', 'outputSchema.x-hotswap-outputs.probabilitiesOutput', 'outputSchema.x-hotswap-outputs.labelOutput'], before);
    expect(res.body.error.message).toMatch(/3 problems/);
  });

  it('refuses garbage.onnx, uploaded or referenced, and still names the schema problems', async () => {
    const before = storedFiles();
    const uploaded = await upload(model('garbage-up', { inputSchema: fin, outputSchema: outputs({}, ['classes']) }), GARBAGE);
    await expectRefused(uploaded, 'garbage-up', ['artifact', 'outputSchema.x-hotswap-outputs.classes'], before);
    expect(uploaded.body.error.details[0].message).toMatch(/is not a valid ONNX model: the file does not decode/);

    const oipOnly = await upload(model('garbage-oip'), GARBAGE);
    await expectRefused(oipOnly, 'garbage-oip', ['artifact'], before);

    // A referenced artifact is not the request's: refused, and left where it was.
    const file = join(t.artifactDir, 'uploads/garbage.onnx');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, GARBAGE);
    const withFile = storedFiles();
    const referenced = await t.call('POST', '/api/v1/models', { token: ds, body: model('garbage-ref', { artifactPath: 'fs://uploads/garbage.onnx' }) });
    await expectRefused(referenced, 'garbage-ref', ['artifactPath'], withFile);
  });

  it('refuses a bad second version of an existing model the same way', async () => {
    expect((await upload(model('fraud-graph', { inputSchema: fin, outputSchema: fout }), fraud.onnx)).status).toBe(201);
    const before = storedFiles();
    const res = await t.call('POST', '/api/v1/models/fraud-graph/versions', { token: ds, rawBody: uploadForm({ version: '1.1.0', inputSchema: fin, outputSchema: outputs({ probabilitiesOutput: 'probs' }) }, fraud.onnx) });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['outputSchema.x-hotswap-outputs.probabilitiesOutput']);
    expect(storedFiles()).toEqual(before);
    expect((await t.call('GET', '/api/v1/models/fraud-graph/versions/1.1.0', { token: ds })).status).toBe(404);
  });
});

describe('graph metadata and OIP-only versions', () => {
  it('stores the graph of a registered version and shows it', async () => {
    const res = await t.call('GET', '/api/v1/models/fraud-graph/versions/1.0.0', { token: ds });
    expect(res.status).toBe(200);
    expect(res.body.interface).toBe('native');
    expect(res.body.graph).toEqual({
      inputs: [{ name: 'float_input', datatype: 'FP32', onnxType: 'tensor(float)', shape: [-1, 9], dimParams: [null, null] }],
      outputs: [
        { name: 'label', datatype: 'INT64', onnxType: 'tensor(int64)', shape: [-1], dimParams: [null] },
        { name: 'probabilities', datatype: 'FP32', onnxType: 'tensor(float)', shape: [-1, 2], dimParams: [null, null] },
      ],
      opsets: [{ domain: 'ai.onnx.ml', version: 1 }, { domain: '', version: 17 }],
      irVersion: 8,
      producer: { name: 'hotswap-examples', version: '1' },
      sizeBytes: fraud.onnx.length,
    });
  });

  it('registers the two-input and the rank-1 string models without a feature schema, as OIP-only', async () => {
    for (const [name, artifact, inputs] of [
      ['two-inputs', twoInputModel(), [['a', 'FP32', [-1, 3]], ['b', 'INT64', [-1, 2]]]],
      ['rank1-text', rank1StringModel(), [['text', 'BYTES', [-1]]]],
    ] as const) {
      const res = await upload(model(name, { type: 'Other' }), artifact);
      expect(res.status).toBe(201);
      const v = await t.call('GET', `/api/v1/models/${name}/versions/1.0.0`, { token: ds });
      expect(v.body).toMatchObject({ interface: 'oip', inputSchema: null, outputSchema: null, status: 'Registered' });
      expect(v.body.graph.inputs.map((i: any) => [i.name, i.datatype, i.shape])).toEqual(inputs);
      const proposal = await t.call('GET', `/api/v1/models/${name}/versions/1.0.0/schema-proposal`, { token: ds });
      expect(proposal.body).toMatchObject({ interface: 'oip', inputSchema: null, outputSchema: null });
      expect(proposal.body.reasons.length).toBeGreaterThan(0);
    }
  });

  it('adds an OIP-only version to a model that has native ones, and proposes a schema that registers', async () => {
    const oip = await t.call('POST', '/api/v1/models/fraud-graph/versions', { token: ds, rawBody: uploadForm({ version: '2.0.0' }, fraud.onnx) });
    expect(oip.status).toBe(201);
    expect(oip.body).toMatchObject({ version: '2.0.0', interface: 'oip', inputSchema: null });
    const proposal = await t.call('GET', '/api/v1/models/fraud-graph/versions/2.0.0/schema-proposal', { token: ds });
    expect(proposal.status).toBe(200);
    expect(proposal.body.inputSchema['x-hotswap-tensor']).toEqual({ name: 'float_input', encoding: 'dense', order: Array.from({ length: 9 }, (_, i) => `feature_${i}`) });
    const { inputSchema, outputSchema } = proposal.body;
    const native = await t.call('POST', '/api/v1/models/fraud-graph/versions', { token: ds, rawBody: uploadForm({ version: '2.1.0', inputSchema, outputSchema }, fraud.onnx) });
    expect(native.status).toBe(201);
    expect(native.body.interface).toBe('native');
  });

  it('needs both schemas or neither', async () => {
    const res = await upload(model('half-schema', { inputSchema: fin }), fraud.onnx);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['metadata.outputSchema']);
  });

  it('documents the graph, the interface and the proposal in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
    expect(doc.components.schemas.ModelVersion.properties).toHaveProperty('graph');
    expect(doc.components.schemas.ModelVersion.properties.interface.enum).toEqual(['native', 'oip']);
    expect(doc.components.schemas.ModelGraph.properties.inputs).toBeDefined();
    expect(doc.paths).toHaveProperty(['/api/v1/models/{id}/versions/{version}/schema-proposal']);
  });
});
