import { randomUUID } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm, stat, unlink, access, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppError, errors } from '../../domain/errors';
import type { ArtifactStat, ArtifactStore, PutOptions, PutResult } from './artifact-store';
import { assertArtifactKey, invalidReference } from './artifact-key';
import { assertSha256Matches, normaliseSha256, sha256OfStream, Sha256Meter, toBuffer, toReadable } from './sha256-meter';

const TEMP_PREFIX = '.tmp-';

/**
 * Artifacts as files under one root directory. Keys are validated lexically (artifact-key.ts)
 * and every resolved path is checked again after following symlinks, so neither "..", nor an
 * absolute path, nor a symlink planted inside the root can reach a file outside it.
 * (A symlink swapped in concurrently by someone with write access to the root is out of scope.)
 */
export class FilesystemArtifactStore implements ArtifactStore {
  readonly kind = 'fs' as const;
  readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async put(key: string, body: NodeJS.ReadableStream | Readable, opts: PutOptions = {}): Promise<PutResult> {
    assertArtifactKey(key);
    const expected = normaliseSha256(opts.expectedSha256);
    const dir = await this.ensureParentDir(key);
    // Same directory as the target, so the final rename is atomic (same filesystem).
    const tmp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    const meter = new Sha256Meter(opts.maxBytes);
    let fh: FileHandle | undefined = await open(tmp, 'wx', 0o644);
    try {
      for await (const chunk of toReadable(body)) {
        const buf = toBuffer(chunk as Buffer);
        meter.update(buf);
        await writeAll(fh, buf);
      }
      // Data must be on disk before the rename makes it visible, or a crash could publish a hole.
      await fh.sync();
      await fh.close();
      fh = undefined;
      const sha256 = meter.digest();
      assertSha256Matches(expected, sha256);
      await rename(tmp, path.join(dir, path.posix.basename(key))).catch((e: unknown) => {
        throw code(e) === 'EISDIR' ? errors.conflict(`Artifact key ${key} is a directory of other artifacts`) : e;
      });
      await syncDir(dir);
      return { key, sizeBytes: meter.bytes, sha256 };
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = await this.locate(key);
    if (file === null) throw errors.notFound('ARTIFACT_NOT_FOUND', key);
    // locate() resolved every symlink; O_NOFOLLOW refuses one swapped in since.
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e: unknown) => {
      throw isMissing(e) || code(e) === 'ELOOP' ? errors.notFound('ARTIFACT_NOT_FOUND', key) : e;
    });
    const st = await fh.stat().catch(async (e: unknown) => {
      await fh.close();
      throw e;
    });
    if (!st.isFile()) {
      await fh.close();
      throw errors.notFound('ARTIFACT_NOT_FOUND', key);
    }
    return fh.createReadStream();
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    const file = await this.locate(key);
    if (file === null) return null;
    const st = await stat(file).catch(ifMissing(null));
    return st?.isFile() ? { key, sizeBytes: st.size } : null;
  }

  async delete(key: string): Promise<void> {
    assertArtifactKey(key);
    const parentKey = path.posix.dirname(key);
    const dir = parentKey === '.' ? await realpath(this.root).catch(ifMissing(null)) : await this.locate(parentKey);
    if (dir === null) return;
    // unlink on the entry itself: a symlink is removed, never its target.
    await unlink(path.join(dir, path.posix.basename(key))).catch((e: unknown) => {
      if (!isMissing(e) && code(e) !== 'EISDIR') throw e;
    });
  }

  async checksum(key: string): Promise<string> {
    return sha256OfStream(await this.get(key));
  }

  resolveReference(ref: string): string {
    if (ref.startsWith('fs://')) return assertArtifactKey(ref.slice('fs://'.length), 'artifactPath');
    if (ref.startsWith('file://')) {
      // Literal comparison, no decoding: a file URL is accepted only when it already names a path under the root.
      const abs = ref.slice('file://'.length);
      const prefix = this.root.endsWith(path.sep) ? this.root : this.root + path.sep;
      if (!abs.startsWith(prefix)) throw invalidReference(`file references must point inside the artifact directory ${this.root}`);
      return assertArtifactKey(abs.slice(prefix.length), 'artifactPath');
    }
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref)) throw invalidReference('expected fs://<key>, file://<path under the artifact directory> or a bare key');
    return assertArtifactKey(ref, 'artifactPath');
  }

  toReference(key: string): string {
    return `fs://${assertArtifactKey(key)}`;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK);
    } catch (e) {
      throw new AppError('SERVICE_UNAVAILABLE', `Artifact directory ${this.root} is not usable: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {}

  /** The real path of an existing entry for `key`, or null; throws if it resolves outside the root. */
  private async locate(key: string): Promise<string | null> {
    assertArtifactKey(key);
    const real = await realpath(path.join(this.root, ...key.split('/'))).catch(ifMissing(null));
    if (real === null) return null;
    return this.inside(real, key);
  }

  /** Creates the key's parent directories one by one, never following a symlink out of the root. */
  private async ensureParentDir(key: string): Promise<string> {
    await mkdir(this.root, { recursive: true });
    let dir = await realpath(this.root);
    for (const segment of key.split('/').slice(0, -1)) {
      const next = path.join(dir, segment);
      let st: Stats | null = await lstat(next).catch(ifMissing(null));
      if (st === null) {
        await mkdir(next).catch((e: unknown) => {
          if (code(e) !== 'EEXIST') throw e;
        });
        st = await lstat(next);
      }
      if (st.isSymbolicLink()) {
        dir = await this.inside(await realpath(next), key);
        st = await stat(dir);
      } else dir = next;
      if (!st.isDirectory()) throw errors.conflict(`Artifact key ${key} lies below another artifact`);
    }
    return dir;
  }

  private async inside(real: string, key: string): Promise<string> {
    const root = await realpath(this.root);
    if (real !== root && !real.startsWith(root + path.sep))
      throw errors.validation([{ field: 'artifactKey', message: `artifact key ${key} resolves outside the artifact directory` }]);
    return real;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let offset = 0; offset < buf.length; ) offset += (await fh.write(buf, offset, buf.length - offset)).bytesWritten;
}

/** Makes the rename itself durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;
const isMissing = (e: unknown) => code(e) === 'ENOENT' || code(e) === 'ENOTDIR';
const ifMissing =
  <T>(value: T) =>
  (e: unknown): T => {
    if (isMissing(e)) return value;
    throw e;
  };
