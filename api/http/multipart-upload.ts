import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { AppError } from '../../domain/errors';

export interface MultipartUpload {
  /** The JSON document of the `metadata` part. */
  metadata: unknown;
  /** The `artifact` part, still streaming: the consumer must read or destroy it. */
  artifact: Readable;
  /** Abandons the rest of the request (after an early rejection). */
  abandon: () => void;
}

/**
 * Reads `multipart/form-data` with a `metadata` part (JSON) FIRST and an `artifact` file part
 * after it, resolving as soon as the file part starts: the metadata can be validated before a
 * single byte of the artifact is stored, and the artifact is streamed, never buffered.
 * `metadata` may be a plain field (`curl -F 'metadata=<m.json'`) or a small file part
 * (`curl -F metadata=@m.json`), read up to the same size limit.
 */
export function readMultipartUpload(req: Request, maxMetadataBytes: number): Promise<MultipartUpload> {
  return new Promise((resolve, reject) => {
    let metadata: unknown;
    let settled = false;
    const bb = busboy({ headers: req.headers, limits: { files: 2, fields: 1, fieldSize: maxMetadataBytes, parts: 2 } });
    const abandon = () => {
      req.unpipe(bb);
      req.resume();
    };
    const fail = (e: AppError) => {
      if (settled) return;
      settled = true;
      abandon();
      reject(e);
    };
    let metadataFile: Promise<void> | undefined;
    const parseMetadata = (value: string) => {
      try {
        metadata = JSON.parse(value);
      } catch {
        fail(AppError.validation('metadata', 'is not valid JSON'));
      }
    };
    const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', undefined, [{ field: 'metadata', message: `exceeds ${maxMetadataBytes} bytes` }]);
    bb.on('field', (name, value, info) => {
      if (name !== 'metadata') return fail(AppError.validation('metadata', `unexpected form field "${name}"; send "metadata" then "artifact"`));
      if (info.valueTruncated) return fail(tooLarge());
      parseMetadata(value);
    });
    bb.on('file', (name, stream) => {
      if (settled) return void stream.resume();
      if (name === 'metadata' && metadata === undefined && !metadataFile) {
        metadataFile = readSmall(stream, maxMetadataBytes).then(
          (text) => (text === undefined ? fail(tooLarge()) : parseMetadata(text)),
          () => fail(AppError.validation('metadata', 'could not be read')),
        );
        return;
      }
      if (name !== 'artifact') return fail(AppError.validation(name, 'unexpected file part; the artifact part is named "artifact"'));
      if (metadataFile && metadata === undefined) {
        // The metadata file part has ended (busboy emits parts in order) but its last chunk may
        // still be in flight: hold the artifact until it is parsed.
        stream.pause();
        void metadataFile.then(() => {
          if (settled) return void stream.resume();
          if (metadata === undefined) return fail(AppError.validation('metadata', 'must come before the artifact part'));
          settled = true;
          resolve({ metadata, artifact: stream, abandon });
        });
        return;
      }
      if (metadata === undefined) return fail(AppError.validation('metadata', 'must come before the artifact part'));
      settled = true;
      resolve({ metadata, artifact: stream, abandon });
    });
    bb.on('close', () => fail(AppError.validation('artifact', 'is required in a multipart upload')));
    bb.on('error', () => fail(AppError.validation('body', 'is not valid multipart/form-data')));
    bb.on('partsLimit', () => fail(AppError.validation('body', 'has too many parts')));
    req.pipe(bb);
  });
}

/** Reads a whole small stream as UTF-8; undefined when it exceeds `max` bytes. */
function readSmall(stream: Readable, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    stream.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
