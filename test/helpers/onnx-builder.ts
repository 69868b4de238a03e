import { onnx } from 'onnx-proto';

/** A graph value for buildOnnxModel: element type as ONNX's TensorProto.DataType, dims as numbers, symbolic names, or null (unknown). */
export interface ValueSpec {
  name: string;
  elemType: number;
  dims: (number | string | null)[] | null;
}

export const ELEM = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** Every OIP datatype the model servers serve, with its ONNX element type. */
export const OIP_ELEM: Record<string, number> = {
  BOOL: ELEM.BOOL,
  UINT8: ELEM.UINT8,
  UINT16: ELEM.UINT16,
  UINT32: ELEM.UINT32,
  UINT64: ELEM.UINT64,
  INT8: ELEM.INT8,
  INT16: ELEM.INT16,
  INT32: ELEM.INT32,
  INT64: ELEM.INT64,
  FP16: ELEM.FLOAT16,
  FP32: ELEM.FLOAT,
  FP64: ELEM.DOUBLE,
  BYTES: ELEM.STRING,
};

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

/** One input per OIP datatype, `in_<DATATYPE>` [N, 2], each echoed by Identity to `out_<DATATYPE>`. Runnable. */
export const everyDatatypeModel = () =>
  buildOnnxModel({
    inputs: Object.entries(OIP_ELEM).map(([dt, elemType]) => ({ name: `in_${dt}`, elemType, dims: ['N', 2] })),
    outputs: Object.entries(OIP_ELEM).map(([dt, elemType]) => ({ name: `out_${dt}`, elemType, dims: ['N', 2] })),
    nodes: Object.keys(OIP_ELEM).map((dt) => ({ opType: 'Identity', input: [`in_${dt}`], output: [`out_${dt}`] })),
  });

/** A fixed-shape FP32 [2, 2] input echoed by Identity: not batchable on dim 0. Runnable. */
export const fixedShapeModel = () =>
  buildOnnxModel({
    inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: [2, 2] }],
    outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: [2, 2] }],
    nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
  });
