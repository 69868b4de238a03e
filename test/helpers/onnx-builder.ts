import { onnx } from 'onnx-proto';

/** A graph value for buildOnnxModel: element type as ONNX's TensorProto.DataType, dims as numbers, symbolic names, or null (unknown). */
export interface ValueSpec {
  name: string;
  elemType: number;
  dims: (number | string | null)[] | null;
}

export const ELEM = { FLOAT: 1, INT64: 7, STRING: 8, DOUBLE: 11, BFLOAT16: 16 } as const;

export interface ModelSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes?: onnx.INodeProto[];
  /** Initializers, also listed as graph inputs (as exporters before IR 4 did). */
  initializersAsInputs?: ValueSpec[];
  /** Non-tensor outputs (a sequence of maps, as a scikit-learn ZipMap writes). */
  sequenceOfMapsOutput?: string;
  opset?: number;
  producer?: [string, string];
}

const value = (v: ValueSpec): onnx.IValueInfoProto => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: v.elemType,
      ...(v.dims && { shape: { dim: v.dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } }),
    },
  },
});

/** Encodes a ModelProto in the test (no Python): enough for the graph reader, and runnable by onnxruntime when `nodes` compute the outputs. */
export function buildOnnxModel(spec: ModelSpec): Buffer {
  const inits = spec.initializersAsInputs ?? [];
  const outputs = spec.outputs.map(value);
  if (spec.sequenceOfMapsOutput)
    outputs.push({ name: spec.sequenceOfMapsOutput, type: { sequenceType: { elemType: { mapType: { keyType: ELEM.INT64, valueType: { tensorType: { elemType: ELEM.FLOAT } } } } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: spec.producer?.[0] ?? 'hotswap-tests',
    producerVersion: spec.producer?.[1] ?? '1',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'test',
      node: spec.nodes ?? [],
      input: [...spec.inputs.map(value), ...inits.map(value)],
      output: outputs,
      initializer: inits.map((i) => ({ name: i.name, dataType: i.elemType, dims: (i.dims ?? []) as number[], floatData: new Array<number>(((i.dims ?? []) as number[]).reduce((a, b) => a * b, 1)).fill(0) })),
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** Two inputs, a FP32 [N, 3] and b INT64 [N, 2]; out = concat(a, float(b)) FP32 [N, 5]. Runnable. */
export const twoInputModel = () =>
  buildOnnxModel({
    inputs: [
      { name: 'a', elemType: ELEM.FLOAT, dims: ['N', 3] },
      { name: 'b', elemType: ELEM.INT64, dims: ['N', 2] },
    ],
    outputs: [{ name: 'out', elemType: ELEM.FLOAT, dims: ['N', 5] }],
    nodes: [
      { opType: 'Cast', input: ['b'], output: ['b_float'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: ELEM.FLOAT }] },
      { opType: 'Concat', input: ['a', 'b_float'], output: ['out'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
    ],
  });

/** One rank-1 STRING input "text" [N]; out = text (Identity). Runnable. */
export const rank1StringModel = () =>
  buildOnnxModel({
    inputs: [{ name: 'text', elemType: ELEM.STRING, dims: ['N'] }],
    outputs: [{ name: 'echo', elemType: ELEM.STRING, dims: ['N'] }],
    nodes: [{ opType: 'Identity', input: ['text'], output: ['echo'] }],
  });
