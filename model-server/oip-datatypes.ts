import type * as ort from 'onnxruntime-node';

/**
 * The Open Inference Protocol datatypes this server serves, with their onnxruntime tensor
 * type and, for fixed-size types, the element size of the binary tensor data extension
 * (little-endian, row-major; BOOL one byte; BYTES a 4-byte little-endian length before each element).
 */
export const DATATYPES = {
  BOOL: { ort: 'bool', bytes: 1 },
  UINT8: { ort: 'uint8', bytes: 1 },
  UINT16: { ort: 'uint16', bytes: 2 },
  UINT32: { ort: 'uint32', bytes: 4 },
  UINT64: { ort: 'uint64', bytes: 8 },
  INT8: { ort: 'int8', bytes: 1 },
  INT16: { ort: 'int16', bytes: 2 },
  INT32: { ort: 'int32', bytes: 4 },
  INT64: { ort: 'int64', bytes: 8 },
  FP16: { ort: 'float16', bytes: 2 },
  FP32: { ort: 'float32', bytes: 4 },
  FP64: { ort: 'float64', bytes: 8 },
  BYTES: { ort: 'string', bytes: 0 },
} as const satisfies Record<string, { ort: ort.Tensor.Type; bytes: number }>;

export type Datatype = keyof typeof DATATYPES;
export const SUPPORTED_DATATYPES = Object.keys(DATATYPES) as Datatype[];
export const isDatatype = (s: string): s is Datatype => Object.prototype.hasOwnProperty.call(DATATYPES, s);

const ORT_TO_OIP = new Map<string, Datatype>(SUPPORTED_DATATYPES.map((d) => [DATATYPES[d].ort, d]));

/** The protocol's datatype of an onnxruntime type ("float32" → "FP32"); UNKNOWN for non-tensors. */
export const oipDatatype = (ortType: string | null): string => (ortType ? (ORT_TO_OIP.get(ortType) ?? ortType.toUpperCase()) : 'UNKNOWN');

/** Triton's model-configuration name of a datatype ("FP32" → "TYPE_FP32", BYTES → "TYPE_STRING"). */
export const tritonConfigType = (datatype: string): string => (datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`);

type NumericArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A zeroed typed array of `n` elements for a fixed-size datatype. */
export function typedArrayOf(datatype: Exclude<Datatype, 'BYTES'>, n: number): NumericArray {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(n);
    case 'INT8':
      return new Int8Array(n);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(n);
    case 'INT16':
      return new Int16Array(n);
    case 'UINT32':
      return new Uint32Array(n);
    case 'INT32':
      return new Int32Array(n);
    case 'UINT64':
      return new BigUint64Array(n);
    case 'INT64':
      return new BigInt64Array(n);
    case 'FP32':
      return new Float32Array(n);
    case 'FP64':
      return new Float64Array(n);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of a number (round to nearest even; overflow → ±Infinity). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

/** The number that IEEE 754 half-precision bits stand for. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
