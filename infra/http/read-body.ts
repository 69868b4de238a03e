import type { IncomingMessage } from 'node:http';
import { AppError } from '../../domain/errors';

/**
 * Reads a request body whole for the lean HTTP paths (the api's inference gateway and the model
 * server, which skip Express): more than `maxBytes` → 413 (by Content-Length before reading, or
 * as soon as the chunks exceed it), empty → 400; one chunk comes back without a copy.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      req.resume();
      reject(tooLarge(maxBytes));
      return;
    }
    let first: Buffer | null = null;
    let chunks: Buffer[] | null = null;
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      if (first === null) first = chunk;
      else (chunks ??= [first]).push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (size > maxBytes) return;
      const buf = chunks ? Buffer.concat(chunks, size) : first;
      if (buf === null || size === 0) reject(new AppError('VALIDATION_ERROR', 'Request body is required', [{ field: 'body', message: 'must be a JSON object' }]));
      else resolve(buf);
    });
    req.once('error', reject);
  });
}

const tooLarge = (max: number) => new AppError('PAYLOAD_TOO_LARGE', undefined, [{ field: 'body', message: `exceeds the limit of ${max} bytes` }]);

