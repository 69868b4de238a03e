import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import { LoadError } from './load-error';

export interface FetchedArtifact {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** True when a verified copy was already in the cache. */
  cached: boolean;
}

const CHECKSUM = /^sha256:([0-9a-fA-F]{64})$/;

/** "sha256:<hex>" → lowercase hex, or a LoadError. */
export function parseChecksum(checksum: string): string {
  const m = CHECKSUM.exec(checksum);
  if (!m) throw new LoadError('VALIDATION_ERROR', `checksum must look like sha256:<64 hex characters>, got ${JSON.stringify(checksum)}`, 'checksum');
  return m[1].toLowerCase();
}

/**
 * Copies an artifact from the store into the local cache, content-addressed by its declared
 * SHA-256 (`<cacheDir>/sha256-<hex>.onnx`), verifying the digest on the way. A cached copy is
 * re-hashed before reuse, so a corrupted cache file is fetched again rather than served.
 * A mismatch fails with CHECKSUM_MISMATCH and leaves nothing in the cache.
 */
export async function fetchArtifact(store: ArtifactStore, key: string, checksum: string, cacheDir: string): Promise<FetchedArtifact> {
  const expected = parseChecksum(checksum);
  await mkdir(cacheDir, { recursive: true });
  const target = path.join(cacheDir, `sha256-${expected}.onnx`);
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile()) {
    const { sha256 } = await hashStream(createReadStream(target));
    if (sha256 === expected) return { path: target, sizeBytes: existing.size, sha256, cached: true };
    await rm(target, { force: true });
  }
  let source: Readable;
  try {
    source = await store.get(key);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ARTIFACT_NOT_FOUND') throw new LoadError('ARTIFACT_NOT_FOUND', `artifact ${key} does not exist in the artifact store`, 'artifactKey');
    // The store is away (refused, timed out, 5xx): the same load works once it is back.
    throw new LoadError('SERVICE_UNAVAILABLE', `artifact store failed to read ${key}: ${(e as Error).message}`, 'artifactKey');
  }
  const tmp = path.join(cacheDir, `.tmp-${randomUUID()}`);
  try {
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
    const actual = hash.digest('hex');
    if (actual !== expected)
      throw new LoadError('CHECKSUM_MISMATCH', `checksum mismatch: declared sha256:${expected} but artifact ${key} hashes to sha256:${actual}`, 'checksum');
    await rename(tmp, target);
    return { path: target, sizeBytes: size, sha256: actual, cached: false };
  } catch (e) {
    await rm(tmp, { force: true });
    if (e instanceof LoadError) throw e;
    throw new LoadError('INTERNAL_ERROR', `could not copy artifact ${key} into the cache: ${(e as Error).message}`, 'artifactKey');
  }
}

async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}
