import type { ServerResponse } from 'node:http';
import { OipError } from './oip-tensors';

/**
 * The binary tensor data extension of the Open Inference Protocol (Triton's
 * "binary_tensor_data"): a body is a JSON header of `Inference-Header-Content-Length` bytes,
 * followed by the raw bytes of the inputs that declared `parameters.binary_data_size`, in
 * input order. Responses use the same framing for outputs asked for with `binary_data`.
 */
export const HEADER_LENGTH = 'inference-header-content-length';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits a request body into its JSON header (parsed) and binary part (null without the header). */
export function splitInferBody(body: Buffer, headerLength: string | string[] | undefined): { json: unknown; binary: Buffer | null } {
  let jsonBytes = body;
  let binary: Buffer | null = null;
  if (headerLength !== undefined) {
    const n = typeof headerLength === 'string' && /^\d+$/.test(headerLength.trim()) ? Number(headerLength) : NaN;
    if (!Number.isSafeInteger(n) || n > body.length)
      throw new OipError(400, `Inference-Header-Content-Length must be a byte count within the body's ${body.length} bytes`);
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  try {
    return { json: JSON.parse(jsonBytes.toString('utf8')), binary };
  } catch {
    throw new OipError(400, binary ? 'the JSON header (Inference-Header-Content-Length bytes) is not valid JSON' : 'Malformed JSON body: not valid JSON (binary tensor data needs the Inference-Header-Content-Length header)');
  }
}

/**
 * Hands each input its bytes of the binary part: `binaryOf(i)` is input i's slice, or
 * undefined when it carries JSON `data`. Every byte must belong to exactly one input.
 */
export function binarySlices(inputs: readonly unknown[], binary: Buffer | null): (Buffer | undefined)[] {
  const slices = new Array<Buffer | undefined>(inputs.length);
  let at = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    const params = isObject(input) ? input.parameters : undefined;
    if (params !== undefined && !isObject(params)) throw new OipError(400, `inputs[${i}].parameters must be an object`);
    const size = params?.binary_data_size;
    if (size === undefined) continue;
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw new OipError(400, `inputs[${i}].parameters.binary_data_size must be a non-negative integer`);
    if (binary === null) throw new OipError(400, `inputs[${i}] declares binary_data_size but the request has no Inference-Header-Content-Length header`);
    const end = at + (size as number);
    if (end > binary.length) throw new OipError(400, `inputs[${i}].parameters.binary_data_size ${size as number} runs past the ${binary.length} bytes of binary data`);
    slices[i] = binary.subarray(at, end);
    at = end;
  }
  if (binary !== null && at !== binary.length) throw new OipError(400, `the body has ${binary.length - at} bytes of binary data that no input declares`);
  return slices;
}

/** Whether each requested output goes back as binary: its own `parameters.binary_data`, else the request's `binary_data_output`. */
export function wantsBinary(requestParameters: Record<string, unknown> | undefined, output: Record<string, unknown> | undefined, index: number): boolean {
  const own = output?.parameters;
  if (own !== undefined && !isObject(own)) throw new OipError(400, `outputs[${index}].parameters must be an object`);
  const flag = own?.binary_data ?? requestParameters?.binary_data_output ?? false;
  if (typeof flag !== 'boolean') throw new OipError(400, own?.binary_data !== undefined ? `outputs[${index}].parameters.binary_data must be a boolean` : 'parameters.binary_data_output must be a boolean');
  return flag;
}

/** Sends a response whose outputs are partly binary: JSON header, then the bytes in output order. */
export function sendBinaryResponse(res: ServerResponse, header: unknown, chunks: readonly Buffer[]): void {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const body = Buffer.concat([json, ...chunks]);
  res.statusCode = 200;
  res.setHeader('content-type', 'application/octet-stream');
  res.setHeader(HEADER_LENGTH, json.length);
  res.setHeader('content-length', body.length);
  res.end(body);
}
