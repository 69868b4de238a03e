import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidModelError } from '../../domain/models/graph';
import { readModelGraph, readModelGraphFrom } from '../../infra/onnx/read-graph';
import { buildOnnxModel, ELEM, rank1StringModel, twoInputModel } from '../helpers/onnx-builder';

const example = (name: string, version: string) => readFileSync(join(__dirname, '..', '..', 'examples', 'models', name, version, 'model.onnx'));

function problemsOf(bytes: Uint8Array): string[] {
  try {
    readModelGraph(bytes);
  } catch (e) {
    if (e instanceof InvalidModelError) return e.problems;
    throw e;
  }
  throw new Error('expected InvalidModelError');
}

describe('readModelGraph', () => {
  it('reads the example fraud-detection model: inputs, outputs, opsets, producer, IR version and size', () => {
    const bytes = example('fraud-detection', '1.0.0');
    const g = readModelGraph(bytes);
    expect(g.inputs).toEqual([{ name: 'float_input', datatype: 'FP32', onnxType: 'tensor(float)', shape: [-1, 9], dimParams: [null, null] }]);
    expect(g.outputs).toEqual([
      { name: 'label', datatype: 'INT64', onnxType: 'tensor(int64)', shape: [-1], dimParams: [null] },
      { name: 'probabilities', datatype: 'FP32', onnxType: 'tensor(float)', shape: [-1, 2], dimParams: [null, null] },
    ]);
    // The file imports the default domain twice; it is listed once.
    expect(g.opsets).toEqual([{ domain: 'ai.onnx.ml', version: 1 }, { domain: '', version: 17 }]);
    expect(g).toMatchObject({ irVersion: 8, producer: { name: 'hotswap-examples', version: '1' }, sizeBytes: bytes.length });
  });

  it('reads the sentiment model string input', () => {
    expect(readModelGraph(example('sentiment', '1.0.0')).inputs).toEqual([{ name: 'text', datatype: 'BYTES', onnxType: 'tensor(string)', shape: [-1, 1], dimParams: [null, null] }]);
  });

  it('reads a two-input model (FP32 [N,3] and INT64 [N,2]) with symbolic dims named', () => {
    const g = readModelGraph(twoInputModel());
    expect(g.inputs.map((i) => [i.name, i.datatype, i.shape, i.dimParams])).toEqual([
      ['a', 'FP32', [-1, 3], ['N', null]],
      ['b', 'INT64', [-1, 2], ['N', null]],
    ]);
  });

  it('reads a rank-1 string input', () => {
    expect(readModelGraph(rank1StringModel()).inputs).toEqual([{ name: 'text', datatype: 'BYTES', onnxType: 'tensor(string)', shape: [-1], dimParams: ['N'] }]);
  });

  it('leaves initializers listed as inputs out of the inputs', () => {
    const g = readModelGraph(buildOnnxModel({
      inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: [null, 4] }],
      initializersAsInputs: [{ name: 'weights', elemType: ELEM.FLOAT, dims: [4, 2] }],
      outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: [null, 2] }],
    }));
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('names non-tensor outputs, unknown ranks and element types OIP cannot name', () => {
    const g = readModelGraph(buildOnnxModel({
      inputs: [{ name: 'x', elemType: ELEM.BFLOAT16, dims: null }],
      outputs: [{ name: 'y', elemType: ELEM.DOUBLE, dims: [] }],
      sequenceOfMapsOutput: 'output_probability',
      producer: ['skl2onnx', '1.16.0'],
    }));
    expect(g.inputs[0]).toEqual({ name: 'x', datatype: null, onnxType: 'tensor(bfloat16)', shape: null, dimParams: null });
    expect(g.outputs).toEqual([
      { name: 'y', datatype: 'FP64', onnxType: 'tensor(double)', shape: [], dimParams: [] },
      { name: 'output_probability', datatype: null, onnxType: 'seq(map(int64,tensor(float)))', shape: null, dimParams: null },
    ]);
    expect(g.producer).toEqual({ name: 'skl2onnx', version: '1.16.0' });
  });

  it.each([
    ['text', Buffer.from('this is not an ONNX model\n'), /does not decode/],
    ['truncated protobuf', example('fraud-detection', '1.0.0').subarray(0, 100), /does not decode/],
    ['empty file', Buffer.alloc(0), /no ONNX graph/],
    ['protobuf without a graph', Buffer.from([0x08, 0x08]), /no ONNX graph/],
  ])('refuses %s as not a valid model', (_label, bytes, message) => {
    expect(problemsOf(bytes).join('; ')).toMatch(message);
  });

  it('refuses a graph with no inputs and no outputs, naming both', () => {
    expect(problemsOf(buildOnnxModel({ inputs: [], outputs: [] }))).toEqual(['the graph has no inputs to feed', 'the graph has no outputs']);
  });

  it('reads from a stream in chunks', async () => {
    const bytes = twoInputModel();
    const g = await readModelGraphFrom(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]));
    expect(g.inputs).toHaveLength(2);
    expect(g.sizeBytes).toBe(bytes.length);
  });
});
