import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { featureSchemaProblems, proposeFeatureSchema, schemaGraphProblems } from '../../domain/feature-schema';
import type { ModelGraph } from '../../domain/models/graph';
import { readModelGraph } from '../../infra/onnx/read-graph';
import { buildOnnxModel, ELEM, rank1StringModel, twoInputModel } from '../helpers/onnx-builder';
import { schemaVariants } from '../helpers/schema-variants';

const dir = (name: string) => join(__dirname, '..', '..', 'examples', 'models', name, '1.0.0');
const load = (name: string) => ({
  graph: readModelGraph(readFileSync(join(dir(name), 'model.onnx'))),
  meta: JSON.parse(readFileSync(join(dir(name), 'metadata.json'), 'utf8')) as { inputSchema: any; outputSchema: any },
});
const fraud = load('fraud-detection');
const sentiment = load('sentiment');
const fin = fraud.meta.inputSchema;
const fout = fraud.meta.outputSchema;
const { tensor, outputs } = schemaVariants(fin, fout);
const zipmap = readModelGraph(buildOnnxModel({
  inputs: [{ name: 'float_input', elemType: ELEM.FLOAT, dims: [null, 9] }],
  outputs: [{ name: 'label', elemType: ELEM.INT64, dims: [null] }],
  sequenceOfMapsOutput: 'probabilities',
}));

type Row = [label: string, graph: Pick<ModelGraph, 'inputs' | 'outputs'>, inputSchema: unknown, outputSchema: unknown, expected: [field: string, message: RegExp][]];

// One row per rule; every row but the first must report exactly the problems listed.
const table: Row[] = [
  ['the example model and its schemas agree', fraud.graph, fin, fout, []],
  ['the sentiment example agrees', sentiment.graph, sentiment.meta.inputSchema, sentiment.meta.outputSchema, []],
  ['wrong tensor name', fraud.graph, tensor({ name: 'input' }), fout, [
    ['inputSchema.x-hotswap-tensor.name', /no input named "input"; its inputs are "float_input"/],
    ['inputSchema.x-hotswap-tensor.name', /graph input "float_input" is not fed by the inputSchema/],
  ]],
  ['wrong column count', fraud.graph, tensor({ order: ['transaction_amount', 'user_age_days', 'transaction_hour', 'is_international'] }), fout, [
    ['inputSchema.x-hotswap-tensor.order', /takes 9 columns but the inputSchema encodes 4/],
  ]],
  ['unknown output', fraud.graph, fin, outputs({ probabilitiesOutput: 'probs' }), [
    ['outputSchema.x-hotswap-outputs.probabilitiesOutput', /no output named "probs"; its outputs are "label", "probabilities"/],
  ]],
  ['unknown label output', fraud.graph, fin, outputs({ labelOutput: 'predicted' }), [['outputSchema.x-hotswap-outputs.labelOutput', /no output named "predicted"/]]],
  ['bad encoding', fraud.graph, tensor({ encoding: 'sparse' }), fout, [['inputSchema.x-hotswap-tensor.encoding', /must be "dense" or "string"/]]],
  ['classification without classes', fraud.graph, fin, outputs({}, ['classes']), [['outputSchema.x-hotswap-outputs.classes', /non-empty array/]]],
  ['class count unlike the probabilities width', fraud.graph, fin, outputs({ classes: ['legit', 'fraud', 'unsure'] }), [
    ['outputSchema.x-hotswap-outputs.classes', /"probabilities" has 2 columns but x-hotswap-outputs.classes lists 3/],
  ]],
  ['regression reading a 2-column output', fraud.graph, fin, { 'x-hotswap-outputs': { task: 'regression', valueOutput: 'probabilities' } }, [
    ['outputSchema.x-hotswap-outputs.valueOutput', /2 values per row; regression reads 1/],
  ]],
  ['string encoding on a float input', fraud.graph, { ...sentiment.meta.inputSchema, 'x-hotswap-tensor': { name: 'float_input', encoding: 'string', order: ['text'] } }, fout, [
    ['inputSchema.x-hotswap-tensor.encoding', /"float_input" is tensor\(float\); string encoding feeds BYTES/],
    ['inputSchema.x-hotswap-tensor.order', /takes 9 columns but the inputSchema encodes 1/],
  ]],
  ['dense encoding on a string input', sentiment.graph, tensor({ name: 'text' }), sentiment.meta.outputSchema, [
    ['inputSchema.x-hotswap-tensor.encoding', /"text" is tensor\(string\); dense encoding feeds FP32/],
    ['inputSchema.x-hotswap-tensor.order', /takes 1 columns but the inputSchema encodes 9/],
  ]],
  ['a second graph input the schema does not feed', readModelGraph(twoInputModel()), { ...tensor({ name: 'a' }), properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } }, required: [], 'x-hotswap-tensor': { name: 'a', encoding: 'dense', order: ['x', 'y', 'z'] } }, { 'x-hotswap-outputs': { task: 'regression', valueOutput: 'out' } }, [
    ['inputSchema.x-hotswap-tensor.name', /graph input "b" is not fed by the inputSchema, which feeds only "a"; register without a feature schema/],
    ['outputSchema.x-hotswap-outputs.valueOutput', /"out" has 5 values per row/],
  ]],
  ['a rank-1 string input', readModelGraph(rank1StringModel()), sentiment.meta.inputSchema, { 'x-hotswap-outputs': { task: 'regression', valueOutput: 'echo' } }, [
    ['inputSchema.x-hotswap-tensor', /"text" has rank 1 \(\[\?\]\); native JSON feeds \[batch, 1\]/],
  ]],
  ['a non-tensor probabilities output (ZipMap)', zipmap, fin, fout, [['outputSchema.x-hotswap-outputs.probabilitiesOutput', /seq\(map\(int64,tensor\(float\)\)\), not a tensor/]]],
  ['missing x-hotswap-tensor and a task that does not exist, both reported', fraud.graph, { ...fin, 'x-hotswap-tensor': undefined }, outputs({ task: 'ranking' }), [
    ['inputSchema.x-hotswap-tensor', /is required/],
    ['outputSchema.x-hotswap-outputs.task', /must be "classification" or "regression"/],
  ]],
];

describe('schemaGraphProblems', () => {
  it.each(table)('%s', (_label, graph, inputSchema, outputSchema, expected) => {
    const problems = schemaGraphProblems(graph, inputSchema, outputSchema);
    expect(problems.map((p) => p.field)).toEqual(expected.map(([field]) => field));
    problems.forEach((p, i) => expect(p.message).toMatch(expected[i][1]));
  });

  it('reports every problem of a schema that is wrong in several ways at once', () => {
    const problems = schemaGraphProblems(fraud.graph, tensor({ name: 'input' }), outputs({ probabilitiesOutput: 'probs', labelOutput: 'predicted' }));
    expect(problems.map((p) => p.field)).toEqual([
      'inputSchema.x-hotswap-tensor.name',
      'inputSchema.x-hotswap-tensor.name',
      'outputSchema.x-hotswap-outputs.probabilitiesOutput',
      'outputSchema.x-hotswap-outputs.labelOutput',
    ]);
  });

  it('featureSchemaProblems checks the convention alone', () => {
    expect(featureSchemaProblems(fin, fout)).toEqual([]);
    expect(featureSchemaProblems(tensor({ encoding: 'sparse' }), outputs({}, ['classes'])).map((p) => p.field)).toEqual([
      'inputSchema.x-hotswap-tensor.encoding',
      'outputSchema.x-hotswap-outputs.classes',
    ]);
  });
});

describe('proposeFeatureSchema', () => {
  it('proposes D number features and classification for a single FP32 [batch, D] input, and the proposal fits the graph', () => {
    const p = proposeFeatureSchema(fraud.graph);
    expect(p.inputSchema).toMatchObject({ 'x-hotswap-tensor': { name: 'float_input', encoding: 'dense', order: Array.from({ length: 9 }, (_, i) => `feature_${i}`) } });
    expect(p.outputSchema).toMatchObject({ 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'probabilities', classes: [0, 1] } });
    expect(p.reasons.join(' ')).toMatch(/replace them with the labels/);
    expect(schemaGraphProblems(fraud.graph, p.inputSchema, p.outputSchema)).toEqual([]);
  });

  it('proposes a string feature for BYTES [batch, 1]', () => {
    const p = proposeFeatureSchema(sentiment.graph);
    expect(p.inputSchema).toMatchObject({ properties: { text: { type: 'string' } }, 'x-hotswap-tensor': { name: 'text', encoding: 'string' } });
    expect(schemaGraphProblems(sentiment.graph, p.inputSchema, p.outputSchema)).toEqual([]);
  });

  it('proposes regression for a one-value output', () => {
    const graph = readModelGraph(buildOnnxModel({ inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: ['batch', 3] }], outputs: [{ name: 'price', elemType: ELEM.FLOAT, dims: ['batch', 1] }] }));
    const p = proposeFeatureSchema(graph);
    expect(p.outputSchema).toEqual({ type: 'object', 'x-hotswap-outputs': { task: 'regression', valueOutput: 'price' } });
    expect(p.reasons).toEqual([]);
    expect(schemaGraphProblems(graph, p.inputSchema, p.outputSchema)).toEqual([]);
  });

  it.each([
    ['two inputs', readModelGraph(twoInputModel()), /2 inputs; native JSON feeds exactly one/],
    ['a rank-1 string input', readModelGraph(rank1StringModel()), /"text" is tensor\(string\)/],
    ['a dynamic width', readModelGraph(buildOnnxModel({ inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: ['N', 'D'] }], outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: ['N'] }] })), /needs \[batch, D\] with a fixed D/],
    ['no usable output', readModelGraph(buildOnnxModel({ inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: ['N', 2] }], outputs: [{ name: 'y', elemType: ELEM.INT64, dims: ['N'] }] })), /no output is FP32/],
  ])('proposes nothing for %s, and says why', (_label, graph, reason) => {
    const p = proposeFeatureSchema(graph);
    expect(p.inputSchema).toBeNull();
    expect(p.outputSchema).toBeNull();
    expect(p.reasons.join('; ')).toMatch(reason);
  });
});
