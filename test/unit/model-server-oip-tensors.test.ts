import { fromHalfBits, toHalfBits } from '../../model-server/oip-datatypes';
import { decodeInput, encodeBinaryOutput, encodeOutput, OipError, oipDatatype, outputBytes, tensorMetadata } from '../../model-server/oip-tensors';
import type { TensorInfo } from '../../model-server/session-factory';
import * as ort from 'onnxruntime-node';

const model = (type: string, shape: number[] | null = [-1, 2]): TensorInfo => ({ name: 'x', type, shape });
const decode = (datatype: string, data: unknown, type: string, shape = [1, 2]) => decodeInput({ name: 'x', shape, datatype, data }, 0, model(type), [model(type)]);
const fails = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OipError);
    expect((e as OipError).status).toBe(400);
    return (e as Error).message;
  }
  throw new Error('expected an OipError');
};

describe('OIP v2 tensor decoding, per datatype', () => {
  it.each<[string, string, unknown[], unknown[]]>([
    ['BOOL', 'bool', [true, false], [1, 0]],
    ['UINT8', 'uint8', [0, 255], [0, 255]],
    ['INT8', 'int8', [-128, 127], [-128, 127]],
    ['UINT16', 'uint16', [0, 65535], [0, 65535]],
    ['INT16', 'int16', [-32768, 32767], [-32768, 32767]],
    ['UINT32', 'uint32', [0, 4294967295], [0, 4294967295]],
    ['UINT64', 'uint64', [0, 9007199254740991], [0n, 9007199254740991n]],
    ['FP16', 'float16', [1, -2], [0x3c00, 0xc000]],
    ['INT32', 'int32', [-2147483648, 2147483647], [-2147483648, 2147483647]],
    ['INT64', 'int64', [-5, 9007199254740991], [-5n, 9007199254740991n]],
    ['FP32', 'float32', [0.5, -1], [0.5, -1]],
    ['FP64', 'float64', [0.1, 1e300], [0.1, 1e300]],
    ['BYTES', 'string', ['a', ''], ['a', '']],
  ])('%s builds a %s tensor', (datatype, type, data, expected) => {
    const { tensor, rows, name } = decode(datatype, data, type);
    expect(name).toBe('x');
    expect(rows).toBe(1);
    expect(tensor.type).toBe(type);
    expect(tensor.dims).toEqual([1, 2]);
    expect(Array.from(tensor.data as ArrayLike<unknown>)).toEqual(expected);
  });

  it.each<[string, string, unknown[], RegExp]>([
    ['BOOL', 'bool', [1, 0], /BOOL needs true or false/],
    ['UINT8', 'uint8', [256, 0], /UINT8 needs 8-bit unsigned integers/],
    ['INT8', 'int8', [-129, 0], /INT8 needs 8-bit integers/],
    ['UINT16', 'uint16', [-1, 0], /UINT16 needs 16-bit unsigned integers/],
    ['UINT32', 'uint32', [2 ** 32, 0], /UINT32 needs 32-bit unsigned integers/],
    ['UINT64', 'uint64', [-1, 0], /UINT64 needs unsigned integers/],
    ['FP16', 'float16', [Infinity, 0], /FP16 needs finite numbers/],
    ['INT32', 'int32', [1.5, 0], /INT32 needs 32-bit integers/],
    ['INT32', 'int32', [2147483648, 0], /INT32 needs 32-bit integers/],
    ['INT32', 'int32', ['1', 0], /INT32 needs 32-bit integers/],
    ['INT64', 'int64', [2 ** 60, 0], /INT64 needs integers/],
    ['INT64', 'int64', [0.5, 0], /INT64 needs integers/],
    ['FP32', 'float32', [null, 0], /FP32 needs finite numbers/],
    ['FP64', 'float64', [true, 0], /FP64 needs finite numbers/],
    ['BYTES', 'string', [1, 'a'], /BYTES needs strings/],
  ])('%s rejects bad elements (%j)', (datatype, type, data, message) => {
    expect(fails(() => decode(datatype, data, type))).toMatch(message);
  });

  it('flattens nested data row-major and checks the element count', () => {
    expect(Array.from(decode('FP32', [[1], [2]], 'float32').tensor.data as Float32Array)).toEqual([1, 2]);
    expect(fails(() => decode('FP32', [[1, 2, 3]], 'float32'))).toMatch(/needs 2 elements but data has 3/);
    expect(fails(() => decode('FP32', 1, 'float32', [1, 2]))).toMatch(/needs 2 elements but data has 1/);
  });

  it('accepts any shape when the model rank is unknown', () => {
    const r = decodeInput({ name: 'x', shape: [2, 2, 1], datatype: 'FP32', data: [1, 2, 3, 4] }, 0, model('float32', null), []);
    expect(r.tensor.dims).toEqual([2, 2, 1]);
  });

  it('rejects nesting deeper than any real tensor', () => {
    let data: unknown = 1;
    for (let i = 0; i < 40; i++) data = [data];
    expect(fails(() => decode('FP32', data, 'float32'))).toMatch(/nested too deeply/);
  });
});

describe('OIP v2 tensor encoding and metadata', () => {
  it.each<[ort.Tensor, string, unknown[]]>([
    [new ort.Tensor('float32', Float32Array.from([0.5]), [1]), 'FP32', [0.5]],
    [new ort.Tensor('int64', BigInt64Array.from([3n]), [1]), 'INT64', [3]],
    [new ort.Tensor('bool', Uint8Array.from([1, 0]), [2]), 'BOOL', [true, false]],
    [new ort.Tensor('float16', Uint16Array.from([0x3c00, 0x7bff, 0x0001]), [3]), 'FP16', [1, 65504, 2 ** -24]],
    [new ort.Tensor('uint64', BigUint64Array.from([7n]), [1]), 'UINT64', [7]],
    [new ort.Tensor('int8', Int8Array.from([-3]), [1]), 'INT8', [-3]],
    [new ort.Tensor('string', ['a'], [1]), 'BYTES', ['a']],
  ])('encodes %s output as %s', (tensor, datatype, data) => {
    expect(encodeOutput('y', tensor)).toEqual({ name: 'y', shape: [...tensor.dims], datatype, data });
  });

  it('maps onnxruntime types to protocol datatypes', () => {
    expect(['bool', 'uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float16', 'float32', 'float64', 'string'].map(oipDatatype)).toEqual([
      'BOOL', 'UINT8', 'INT8', 'INT16', 'UINT16', 'INT32', 'UINT32', 'INT64', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES',
    ]);
    expect(oipDatatype(null)).toBe('UNKNOWN');
    expect(tensorMetadata({ name: 'n', type: 'float32', shape: null })).toEqual({ name: 'n', datatype: 'FP32', shape: [-1] });
  });
});

describe('OIP v2 binary tensor data', () => {
  const decodeBinary = (datatype: string, type: string, bytes: Buffer, shape = [1, 2]) => decodeInput({ name: 'x', shape, datatype }, 0, model(type), [model(type)], bytes);

  it('reads little-endian elements of every fixed-size type', () => {
    expect(Array.from(decodeBinary('INT16', 'int16', Buffer.from([0xff, 0xff, 0x02, 0x00])).tensor.data as Int16Array)).toEqual([-1, 2]);
    expect(Array.from(decodeBinary('FP64', 'float64', Buffer.from(Float64Array.from([0.5, -1]).buffer)).tensor.data as Float64Array)).toEqual([0.5, -1]);
    expect(Array.from(decodeBinary('BOOL', 'bool', Buffer.from([0, 7])).tensor.data as Uint8Array)).toEqual([0, 1]);
  });

  it('reads length-prefixed BYTES elements and refuses leftovers', () => {
    const bytes = Buffer.from([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0]);
    expect(decodeBinary('BYTES', 'string', bytes).tensor.data).toEqual(['hi', '']);
    expect(fails(() => decodeBinary('BYTES', 'string', Buffer.concat([bytes, Buffer.from([1])])))).toMatch(/1 bytes after its 2 elements/);
    expect(fails(() => decodeBinary('BYTES', 'string', bytes.subarray(0, 4)))).toMatch(/declares 2 bytes past the end/);
  });

  it('refuses a byte count unlike shape × element size', () => {
    expect(fails(() => decodeBinary('FP32', 'float32', Buffer.alloc(12)))).toMatch(/binary_data_size 12 is not 2 elements × 4 bytes of FP32/);
  });

  it('writes outputs as the bytes it reads', () => {
    const strings = new ort.Tensor('string', ['a', 'bc'], [2]);
    expect(encodeBinaryOutput('s', strings)).toEqual({ header: { name: 's', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: 11 } }, bytes: Buffer.from([1, 0, 0, 0, 0x61, 2, 0, 0, 0, 0x62, 0x63]) });
    expect(outputBytes(new ort.Tensor('int32', Int32Array.from([1, -1]), [2]))).toEqual(Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
  });
});

describe('half precision', () => {
  it.each<[number, number]>([
    [0, 0x0000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [1e6, 0x7c00],
    [2 ** -24, 0x0001],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
  ])('%d ↔ 0x%s', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
    if (bits !== 0x7c00 && value !== 1 + 2 ** -11 && value !== 1 + 3 * 2 ** -11) expect(fromHalfBits(bits)).toBe(value);
  });
});
