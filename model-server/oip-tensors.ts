import * as ort from 'onnxruntime-node';
import type { TensorInfo } from './session-factory';

/**
 * Open Inference Protocol v2 tensors ↔ onnxruntime tensors. Validation errors throw
 * OipError (400 unless stated), whose message becomes the protocol's {"error": "..."} body.
 */
export class OipError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'OipError';
  }
}

const bad = (message: string) => new OipError(400, message);

const ORT_TO_OIP: Record<string, string> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

/** The request datatypes this server decodes. */
export const SUPPORTED_DATATYPES = ['BOOL', 'INT32', 'INT64', 'FP32', 'FP64', 'BYTES'] as const;
type Datatype = (typeof SUPPORTED_DATATYPES)[number];
const SUPPORTED = new Set<string>(SUPPORTED_DATATYPES);

export const oipDatatype = (ortType: string | null): string => (ortType ? (ORT_TO_OIP[ortType] ?? ortType.toUpperCase()) : 'UNKNOWN');

/** Metadata tensor: {name, datatype, shape} with -1 for dynamic dimensions. */
export function tensorMetadata(t: TensorInfo) {
  return { name: t.name, datatype: oipDatatype(t.type), shape: t.shape ?? [-1] };
}

export interface RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Row-major flattening of nested arrays (the protocol allows both flat and nested data). */
function flatten(data: unknown, out: unknown[], depth = 0): void {
  if (depth > 32) throw bad('data is nested too deeply');
  if (Array.isArray(data)) for (const d of data) flatten(d, out, depth + 1);
  else out.push(data);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Validates one request input against the model input it names and builds its tensor. */
export function decodeInput(raw: unknown, index: number, model: TensorInfo | undefined, modelInputs: readonly TensorInfo[]): { name: string; tensor: ort.Tensor; rows: number } {
  const at = `inputs[${index}]`;
  if (!isObject(raw)) throw bad(`${at} must be an object with name, shape, datatype and data`);
  const { name, shape, datatype, data } = raw;
  if (typeof name !== 'string' || name === '') throw bad(`${at}.name must be a non-empty string`);
  if (!model) throw bad(`unexpected input "${name}": the model's inputs are ${modelInputs.map((i) => `"${i.name}"`).join(', ')}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0))
    throw bad(`input "${name}": shape must be an array of non-negative integers`);
  if (typeof datatype !== 'string') throw bad(`input "${name}": datatype must be a string`);
  if (!SUPPORTED.has(datatype)) throw bad(`input "${name}": unsupported datatype "${datatype}" (supported: ${SUPPORTED_DATATYPES.join(', ')})`);
  const expected = oipDatatype(model.type);
  if (datatype !== expected) throw bad(`input "${name}": datatype ${datatype} does not match the model input's datatype ${expected}`);
  if (data === undefined) throw bad(`input "${name}": data is required`);
  const dims = shape as number[];
  if (model.shape) {
    if (model.shape.length !== dims.length) throw bad(`input "${name}": shape [${dims.join(',')}] has rank ${dims.length}; the model expects rank ${model.shape.length} ([${model.shape.join(',')}])`);
    for (let i = 0; i < dims.length; i++) {
      const want = model.shape[i];
      if (want !== -1 && want !== dims[i]) throw bad(`input "${name}": shape [${dims.join(',')}] does not fit the model's [${model.shape.join(',')}] at dimension ${i}`);
    }
  }
  const flat: unknown[] = [];
  flatten(data, flat);
  const expectedCount = dims.reduce((a, b) => a * b, 1);
  if (flat.length !== expectedCount) throw bad(`input "${name}": shape [${dims.join(',')}] needs ${expectedCount} elements but data has ${flat.length}`);
  const tensor = buildTensor(name, datatype as Datatype, flat, dims);
  return { name, tensor, rows: dims[0] ?? 1 };
}

function buildTensor(name: string, datatype: Datatype, flat: unknown[], dims: number[]): ort.Tensor {
  const n = flat.length;
  const wrong = (i: number, what: string) => bad(`input "${name}": data[${i}] is ${JSON.stringify(flat[i])}; ${datatype} needs ${what}`);
  switch (datatype) {
    case 'FP32':
    case 'FP64': {
      const arr = datatype === 'FP32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong(i, 'finite numbers');
        arr[i] = v;
      }
      return new ort.Tensor(datatype === 'FP32' ? 'float32' : 'float64', arr, dims);
    }
    case 'INT32': {
      const arr = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw wrong(i, '32-bit integers');
        arr[i] = v;
      }
      return new ort.Tensor('int32', arr, dims);
    }
    case 'INT64': {
      const arr = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrong(i, 'integers (within ±2^53 in JSON)');
        arr[i] = BigInt(v);
      }
      return new ort.Tensor('int64', arr, dims);
    }
    case 'BOOL': {
      const arr = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'boolean') throw wrong(i, 'true or false');
        arr[i] = v ? 1 : 0;
      }
      return new ort.Tensor('bool', arr, dims);
    }
    case 'BYTES': {
      const arr = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'string') throw wrong(i, 'strings');
        arr[i] = v;
      }
      return new ort.Tensor('string', arr, dims);
    }
  }
}

/** An output tensor as the protocol's {name, shape, datatype, data} with flat data. */
export function encodeOutput(name: string, t: ort.Tensor) {
  const src = t.data as ArrayLike<unknown>;
  const n = src.length;
  const data = new Array<unknown>(n);
  if (t.type === 'int64' || t.type === 'uint64') for (let i = 0; i < n; i++) data[i] = Number(src[i]);
  else if (t.type === 'bool') for (let i = 0; i < n; i++) data[i] = src[i] === 1 || src[i] === true;
  else for (let i = 0; i < n; i++) data[i] = src[i];
  return { name, shape: [...t.dims], datatype: oipDatatype(t.type), data };
}
