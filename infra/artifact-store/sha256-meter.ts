import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { AppError, errors } from '../../domain/errors';

/** Hashes and counts bytes as they pass, failing as soon as the count exceeds `maxBytes`. */
export class Sha256Meter {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {}

  update(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes)
      throw new AppError('PAYLOAD_TOO_LARGE', `Artifact exceeds the limit of ${this.maxBytes} bytes`, [
        { field: 'artifact', message: `must be at most ${this.maxBytes} bytes` },
      ]);
    this.hash.update(chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  /** A pass-through stream feeding this meter. */
  transform(): Transform {
    return new Transform({
      transform: (chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback) => {
        const buf = toBuffer(chunk);
        try {
          this.update(buf);
        } catch (e) {
          done(e as Error);
          return;
        }
        done(null, buf);
      },
    });
  }
}

export const toBuffer = (chunk: Buffer | Uint8Array | string): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** Old-style streams (NodeJS.ReadableStream) are wrapped so every caller gets async iteration and destroy(). */
export const toReadable = (body: NodeJS.ReadableStream | Readable): Readable =>
  body instanceof Readable ? body : new Readable().wrap(body);

export async function sha256OfStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(toBuffer(chunk as Buffer));
  return hash.digest('hex');
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** Validates a caller-declared checksum up front, before any byte is read. */
export function normaliseSha256(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!SHA256_HEX.test(value)) throw errors.validation([{ field: 'checksum', message: 'must be a SHA-256 digest: 64 hexadecimal characters' }]);
  return value.toLowerCase();
}

export function assertSha256Matches(expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual)
    throw new AppError('CHECKSUM_MISMATCH', undefined, [
      { field: 'checksum', message: `declared sha256 ${expected} but the uploaded artifact hashes to ${actual}` },
    ]);
}
