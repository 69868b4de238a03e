import { onnx } from 'onnx-proto';
import type { Readable } from 'node:stream';
import { InvalidModelError, type GraphTensor, type ModelGraph, type OpsetImport, type TensorDatatype } from '../../domain/models/graph';

/** ONNX TensorProto.DataType → OIP datatype (types OIP cannot name are left out: bfloat16, complex). */
const DATATYPES: Partial<Record<number, TensorDatatype>> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
};

/** ONNX's own element type names, for `onnxType` ("tensor(float)"). */
const ONNX_NAMES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

type Int = number | { toNumber(): number } | null | undefined;
const toNumber = (v: Int): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/**
 * Reads the interface of an ONNX model from its bytes (the ModelProto protobuf, decoded with
 * onnx-proto; no inference session): inputs that must be fed, outputs, opset imports, IR
 * version and producer. Throws InvalidModelError when the bytes do not decode as a model with
 * a graph that has at least one input and one output. Example: the fraud-detection example →
 * inputs [{name:"float_input", datatype:"FP32", shape:[-1, 9]}], outputs label INT64 [-1] and
 * probabilities FP32 [-1, 2].
 */
export function readModelGraph(bytes: Uint8Array): ModelGraph {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new InvalidModelError([`the file does not decode as an ONNX ModelProto (${(e as Error).message})`]);
  }
  const graph = model.graph;
  const irVersion = toNumber(model.irVersion);
  // Protobuf decodes many byte strings without error; a real model has an IR version and a graph.
  if (!graph || irVersion <= 0) throw new InvalidModelError(['the file has no ONNX graph (is it an ONNX model?)']);
  const initializers = new Set([...(graph.initializer ?? []).map((t) => t.name), ...(graph.sparseInitializer ?? []).map((t) => t.values?.name)]);
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name)).map(toTensor);
  const outputs = (graph.output ?? []).map(toTensor);
  const problems: string[] = [];
  if (inputs.length === 0) problems.push('the graph has no inputs to feed');
  if (outputs.length === 0) problems.push('the graph has no outputs');
  if (problems.length) throw new InvalidModelError(problems);
  const opsets: OpsetImport[] = [];
  for (const o of model.opsetImport) {
    const entry = { domain: o.domain ?? '', version: toNumber(o.version) };
    if (!opsets.some((x) => x.domain === entry.domain && x.version === entry.version)) opsets.push(entry);
  }
  return { inputs, outputs, opsets, irVersion, producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' }, sizeBytes: bytes.byteLength };
}

/** Reads a stored artifact whole and then its graph (the registry's path: the upload has already been verified and stored). */
export async function readModelGraphFrom(stream: Readable): Promise<ModelGraph> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return readModelGraph(Buffer.concat(chunks));
}

function toTensor(v: onnx.IValueInfoProto): GraphTensor {
  const name = v.name ?? '';
  const tensor = v.type?.tensorType;
  if (!tensor) return { name, datatype: null, onnxType: typeName(v.type), shape: null, dimParams: null };
  const dims = tensor.shape?.dim;
  return {
    name,
    datatype: DATATYPES[tensor.elemType ?? 0] ?? null,
    onnxType: typeName(v.type),
    // A dim sets dim_value or dim_param or neither (a oneof); an unset dim_value still reads 0, so ask the oneof.
    shape: dims ? dims.map((d) => ((d as onnx.TensorShapeProto.Dimension).value === 'dimValue' ? toNumber(d.dimValue as Int) : -1)) : null,
    dimParams: dims ? dims.map((d) => (d.dimParam ? d.dimParam : null)) : null,
  };
}

function typeName(t: onnx.ITypeProto | null | undefined): string {
  if (!t) return 'unknown';
  if (t.tensorType) return `tensor(${ONNX_NAMES[t.tensorType.elemType ?? 0] ?? 'undefined'})`;
  if (t.sparseTensorType) return `sparse_tensor(${ONNX_NAMES[t.sparseTensorType.elemType ?? 0] ?? 'undefined'})`;
  if (t.sequenceType) return `seq(${typeName(t.sequenceType.elemType)})`;
  if (t.optionalType) return `optional(${typeName(t.optionalType.elemType)})`;
  if (t.mapType) return `map(${ONNX_NAMES[t.mapType.keyType ?? 0] ?? 'undefined'},${typeName(t.mapType.valueType)})`;
  return 'unknown';
}
