/**
 * Builds and reads bodies of the Open Inference Protocol's binary tensor data extension in
 * tests (what tritonclient sends with binary_data=True): JSON header, then the raw bytes.
 */
export function binaryBody(header: unknown, chunks: readonly Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.length };
}

/** BYTES elements as the extension frames them: a 4-byte little-endian length before each. */
export function bytesElements(strings: readonly string[]): Buffer {
  return Buffer.concat(
    strings.flatMap((s) => {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return [len, b];
    }),
  );
}

export interface BinaryAnswer {
  status: number;
  headers: Headers;
  json: any;
  /** Each binary output's bytes by name, in the order of the JSON header. */
  binary: Record<string, Buffer>;
}

/** POSTs a binary body and splits the answer by its Inference-Header-Content-Length. */
export async function postBinary(url: string, body: Buffer, headerLength: number, headers: Record<string, string> = {}): Promise<BinaryAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength), ...headers },
    body,
  });
  const raw = Buffer.from(await res.arrayBuffer());
  const len = res.headers.get('inference-header-content-length');
  const jsonLength = len === null ? raw.length : Number(len);
  const json = JSON.parse(raw.subarray(0, jsonLength).toString('utf8'));
  const binary: Record<string, Buffer> = {};
  let at = jsonLength;
  for (const o of json.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary[o.name] = raw.subarray(at, at + size);
    at += size;
  }
  if (at !== raw.length) throw new Error(`answer has ${raw.length - at} bytes no output declares`);
  return { status: res.status, headers: res.headers, json, binary };
}
