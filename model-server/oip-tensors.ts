import * as ort from 'onnxruntime-node';
import { DATATYPES, fromHalfBits, isDatatype, oipDatatype, SUPPORTED_DATATYPES, toHalfBits, typedArrayOf, type Datatype } from './oip-datatypes';
import type { TensorInfo } from './session-factory';

export { oipDatatype, SUPPORTED_DATATYPES } from './oip-datatypes';

/**
 * Open Inference Protocol v2 tensors ↔ onnxruntime tensors, as JSON data or as the binary
 * tensor data extension's bytes. Validation errors throw OipError (400 unless stated), whose
 * message becomes the protocol's {"error": "..."} body.
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

/** Metadata tensor: {name, datatype, shape} with -1 for dynamic dimensions. */
export function tensorMetadata(t: TensorInfo) {
  return { name: t.name, datatype: oipDatatype(t.type), shape: t.shape ?? [-1] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Row-major flattening of nested arrays (the protocol allows both flat and nested data). */
function flatten(data: unknown, out: unknown[], depth = 0): void {
  if (depth > 32) throw bad('data is nested too deeply');
  if (Array.isArray(data)) for (const d of data) flatten(d, out, depth + 1);
  else out.push(data);
}

export interface DecodedInput {
  name: string;
  tensor: ort.Tensor;
  rows: number;
}

/**
 * Validates one request input against the model input it names and builds its tensor, from
 * `data` (JSON) or from `binary` (its bytes of the binary extension, when the input declared
 * `parameters.binary_data_size`).
 */
export function decodeInput(raw: unknown, index: number, model: TensorInfo | undefined, modelInputs: readonly TensorInfo[], binary?: Buffer): DecodedInput {
  const at = `inputs[${index}]`;
  if (!isObject(raw)) throw bad(`${at} must be an object with name, shape, datatype and data`);
  const { name, shape, datatype, data } = raw;
  if (typeof name !== 'string' || name === '') throw bad(`${at}.name must be a non-empty string`);
  if (!model) throw bad(`unexpected input "${name}": the model's inputs are ${modelInputs.map((i) => `"${i.name}"`).join(', ')}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0))
    throw bad(`input "${name}": shape must be an array of non-negative integers`);
  if (typeof datatype !== 'string') throw bad(`input "${name}": datatype must be a string`);
  if (!isDatatype(datatype)) throw bad(`input "${name}": unsupported datatype "${datatype}" (supported: ${SUPPORTED_DATATYPES.join(', ')})`);
  const expected = oipDatatype(model.type);
  if (datatype !== expected) throw bad(`input "${name}": datatype ${datatype} does not match the model input's datatype ${expected}`);
  if (binary !== undefined && data !== undefined) throw bad(`input "${name}": give data or parameters.binary_data_size, not both`);
  if (binary === undefined && data === undefined) throw bad(`input "${name}": data is required`);
  const dims = shape as number[];
  if (model.shape) {
    if (model.shape.length !== dims.length) throw bad(`input "${name}": shape [${dims.join(',')}] has rank ${dims.length}; the model expects rank ${model.shape.length} ([${model.shape.join(',')}])`);
    for (let i = 0; i < dims.length; i++) {
      const want = model.shape[i];
      if (want !== -1 && want !== dims[i]) throw bad(`input "${name}": shape [${dims.join(',')}] does not fit the model's [${model.shape.join(',')}] at dimension ${i}`);
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const tensorData = binary !== undefined ? fromBinary(name, datatype, binary, count) : fromJson(name, datatype, data, count, dims);
  return { name, tensor: new ort.Tensor(DATATYPES[datatype].ort, tensorData as never, dims), rows: dims[0] ?? 1 };
}

const INT_RANGE: Partial<Record<Datatype, [number, number, string]>> = {
  UINT8: [0, 255, '8-bit unsigned integers'],
  INT8: [-128, 127, '8-bit integers'],
  UINT16: [0, 65535, '16-bit unsigned integers'],
  INT16: [-32768, 32767, '16-bit integers'],
  UINT32: [0, 4294967295, '32-bit unsigned integers'],
  INT32: [-2147483648, 2147483647, '32-bit integers'],
  UINT64: [0, Number.MAX_SAFE_INTEGER, 'unsigned integers (below 2^53 in JSON)'],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'integers (within ±2^53 in JSON)'],
};

function fromJson(name: string, datatype: Datatype, data: unknown, count: number, dims: number[]): unknown {
  const flat: unknown[] = [];
  flatten(data, flat);
  if (flat.length !== count) throw bad(`input "${name}": shape [${dims.join(',')}] needs ${count} elements but data has ${flat.length}`);
  const n = flat.length;
  const wrong = (i: number, what: string) => bad(`input "${name}": data[${i}] is ${JSON.stringify(flat[i])}; ${datatype} needs ${what}`);
  if (datatype === 'BYTES') {
    for (let i = 0; i < n; i++) if (typeof flat[i] !== 'string') throw wrong(i, 'strings');
    return flat;
  }
  if (datatype === 'BOOL') {
    const arr = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== 'boolean') throw wrong(i, 'true or false');
      arr[i] = v ? 1 : 0;
    }
    return arr;
  }
  if (datatype === 'FP32' || datatype === 'FP64' || datatype === 'FP16') {
    const arr = typedArrayOf(datatype, n) as Float32Array | Float64Array | Uint16Array;
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong(i, 'finite numbers');
      arr[i] = datatype === 'FP16' ? toHalfBits(v) : v;
    }
    return arr;
  }
  const [min, max, what] = INT_RANGE[datatype]!;
  const arr = typedArrayOf(datatype, n);
  const big = datatype === 'INT64' || datatype === 'UINT64';
  for (let i = 0; i < n; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw wrong(i, what);
    arr[i] = big ? BigInt(v) : v;
  }
  return arr;
}

/** An input's bytes of the binary extension as tensor data (copied: the body's bytes need not be aligned). */
function fromBinary(name: string, datatype: Datatype, bytes: Buffer, count: number): unknown {
  if (datatype === 'BYTES') {
    const out = new Array<string>(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + 4 > bytes.length) throw bad(`input "${name}": binary data ends before element ${i} of ${count}`);
      const len = bytes.readUInt32LE(at);
      at += 4;
      if (at + len > bytes.length) throw bad(`input "${name}": binary element ${i} declares ${len} bytes past the end of its data`);
      out[i] = bytes.toString('utf8', at, at + len);
      at += len;
    }
    if (at !== bytes.length) throw bad(`input "${name}": binary data has ${bytes.length - at} bytes after its ${count} elements`);
    return out;
  }
  const size = DATATYPES[datatype].bytes;
  if (bytes.length !== count * size) throw bad(`input "${name}": binary_data_size ${bytes.length} is not ${count} elements × ${size} bytes of ${datatype}`);
  const arr = typedArrayOf(datatype, count);
  new Uint8Array(arr.buffer).set(bytes);
  if (datatype === 'BOOL') for (let i = 0; i < count; i++) if (arr[i] > 1) arr[i] = 1;
  return arr;
}

/** An output tensor as the protocol's {name, shape, datatype, data} with flat JSON data. */
export function encodeOutput(name: string, t: ort.Tensor) {
  const src = t.data as ArrayLike<unknown>;
  const n = src.length;
  const data = new Array<unknown>(n);
  if (t.type === 'int64' || t.type === 'uint64') for (let i = 0; i < n; i++) data[i] = Number(src[i]);
  else if (t.type === 'bool') for (let i = 0; i < n; i++) data[i] = src[i] === 1 || src[i] === true;
  else if (t.type === 'float16' && src instanceof Uint16Array) for (let i = 0; i < n; i++) data[i] = fromHalfBits(src[i]);
  else for (let i = 0; i < n; i++) data[i] = src[i];
  return { name, shape: [...t.dims], datatype: oipDatatype(t.type), data };
}

/** An output tensor's bytes for the binary extension. */
export function outputBytes(t: ort.Tensor): Buffer {
  if (t.type === 'string') {
    const strings = t.data as string[];
    const parts: Buffer[] = [];
    for (const s of strings) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(b.length, 0);
      parts.push(len, b);
    }
    return Buffer.concat(parts);
  }
  const arr = t.data as ArrayBufferView;
  if (t.type === 'bool' && !(arr instanceof Uint8Array)) return Buffer.from(Array.from(t.data as ArrayLike<unknown>, (v) => (v ? 1 : 0)));
  return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** An output tensor as the binary extension's {name, shape, datatype, parameters: {binary_data_size}} and its bytes. */
export function encodeBinaryOutput(name: string, t: ort.Tensor): { header: Record<string, unknown>; bytes: Buffer } {
  const bytes = outputBytes(t);
  return { header: { name, shape: [...t.dims], datatype: oipDatatype(t.type), parameters: { binary_data_size: bytes.length } }, bytes };
}
