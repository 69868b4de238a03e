import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { AppError } from '../../domain/errors';
import type { ArtifactStore } from '../../infra/artifact-store/artifact-store';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { S3ArtifactStore } from '../../infra/artifact-store/s3-artifact-store';

/**
 * One contract, every adapter. The S3 adapter runs against the real S3 server that
 * test/setup/global-setup.ts starts, found through HOTSWAP_TEST_S3_* only.
 */
interface Harness {
  store: ArtifactStore;
  /** Temporary files/objects or multipart uploads a put may have left behind. */
  leftovers(): Promise<string[]>;
  /** Keys of a store with a different root/bucket, for resolveReference. */
  foreignReference: string;
  ownReference(key: string): string;
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;

async function filesystemHarness(): Promise<Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hotswap-artifacts-'));
  const store = new FilesystemArtifactStore(root);
  await store.init();
  return {
    store,
    leftovers: async () => (await readdir(root, { recursive: true })).filter((p) => path.basename(p).startsWith('.tmp-')),
    foreignReference: 'file:///etc/passwd',
    ownReference: (key) => `file://${root}/${key}`,
    teardown: () => rm(root, { recursive: true, force: true }),
  };
}

async function s3Harness(): Promise<Harness> {
  const endpoint = process.env.HOTSWAP_TEST_S3_ENDPOINT;
  const accessKeyId = process.env.HOTSWAP_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.HOTSWAP_TEST_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey)
    throw new Error('HOTSWAP_TEST_S3_ENDPOINT, HOTSWAP_TEST_S3_ACCESS_KEY_ID and HOTSWAP_TEST_S3_SECRET_ACCESS_KEY must be set (test/setup/global-setup.ts exports them)');
  // A bucket of its own, so parallel test files never see each other's objects.
  const bucket = `hotswap-artifacts-${randomBytes(6).toString('hex')}`;
  // The minimum part size, so multi-part paths are exercised by tests of a few MiB.
  const store = new S3ArtifactStore({ bucket, endpoint, accessKeyId, secretAccessKey, forcePathStyle: true, partSizeBytes: 5 * MiB });
  await store.init();
  const s3 = store.client;
  const listKeys = async (prefix?: string) => {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (res.Contents ?? []).map((o) => o.Key!);
  };
  return {
    store,
    leftovers: async () => {
      const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
      return [...(await listKeys('tmp/')), ...uploads.map((u) => `multipart upload ${u.Key}`)];
    },
    foreignReference: 's3://some-other-bucket/models/a/1/model.onnx',
    ownReference: (key) => `s3://${bucket}/${key}`,
    teardown: async () => {
      const keys = await listKeys();
      if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      await store.close();
    },
  };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const body = (...chunks: (Buffer | string)[]) => Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected the promise to reject');
}

/** `size` bytes of random data in 1 MiB chunks, made on demand and hashed as they leave, never all in memory. */
function randomArtifact(size: number): { stream: Readable; sha256: () => string; produced: () => number } {
  const hash = createHash('sha256');
  let remaining = size;
  const stream = new Readable({
    highWaterMark: MiB,
    read() {
      if (remaining === 0) return void this.push(null);
      const chunk = randomBytes(Math.min(MiB, remaining));
      remaining -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex'), produced: () => size - remaining };
}

/** Peak growth of V8 heap plus Buffer memory (which lives outside the heap) while `fn` runs. */
async function peakMemoryGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const baseline = used();
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, used())), 25);
  try {
    const result = await fn();
    peak = Math.max(peak, used());
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}

describe.each([
  ['filesystem', filesystemHarness],
  ['s3', s3Harness],
])('ArtifactStore contract: %s', (_name, makeHarness) => {
  let h: Harness;
  let store: ArtifactStore;
  beforeAll(async () => {
    h = await makeHarness();
    store = h.store;
  });
  afterAll(async () => {
    await h?.teardown();
  });
  afterEach(async () => {
    // Every test, passing or failing, must leave no temporary behind.
    if (h) expect(await h.leftovers()).toEqual([]);
  });

  it('is ready: init is idempotent and ping succeeds', async () => {
    await store.init();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('round-trips put, stat, get and checksum', async () => {
    const key = 'models/round-trip/1.0.0/model.onnx';
    const data = randomBytes(100_000);
    const put = await store.put(key, body(data.subarray(0, 30_000), data.subarray(30_000)));
    expect(put).toEqual({ key, sizeBytes: data.length, sha256: sha256(data) });
    expect(await store.stat(key)).toEqual({ key, sizeBytes: data.length });
    expect((await readAll(await store.get(key))).equals(data)).toBe(true);
    expect(await store.checksum(key)).toBe(sha256(data));
  });

  it('stores an empty artifact', async () => {
    const key = 'models/empty/1.0.0/model.onnx';
    expect(await store.put(key, body())).toEqual({ key, sizeBytes: 0, sha256: sha256('') });
    expect(await store.stat(key)).toEqual({ key, sizeBytes: 0 });
    expect((await readAll(await store.get(key))).length).toBe(0);
  });

  it('streams a multi-part artifact', async () => {
    const key = 'models/multipart/1.0.0/model.onnx';
    const data = randomBytes(12 * MiB + 123);
    const put = await store.put(key, body(...Array.from({ length: 13 }, (_, i) => data.subarray(i * MiB, (i + 1) * MiB))));
    expect(put.sha256).toBe(sha256(data));
    expect(await store.stat(key)).toEqual({ key, sizeBytes: data.length });
    expect(await store.checksum(key)).toBe(sha256(data));
  });

  it('overwrites an existing key', async () => {
    const key = 'models/overwrite/1.0.0/model.onnx';
    await store.put(key, body('first version'));
    await store.put(key, body('second'));
    expect((await readAll(await store.get(key))).toString()).toBe('second');
  });

  it('keeps one whole body when two puts race for a key', async () => {
    const key = 'models/race/1.0.0/model.onnx';
    const a = randomBytes(200_000);
    const b = randomBytes(300_000);
    await Promise.all([store.put(key, body(a)), store.put(key, body(b))]);
    expect([sha256(a), sha256(b)]).toContain(await store.checksum(key));
  });

  it('keeps an upload in progress invisible', async () => {
    const key = 'models/in-progress/1.0.0/model.onnx';
    const source = new PassThrough();
    const putting = store.put(key, source);
    source.write(randomBytes(64 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.stat(key)).toBeNull();
    source.end(randomBytes(1000));
    expect(await putting).toMatchObject({ key, sizeBytes: 64 * 1024 + 1000 });
    expect(await store.stat(key)).toEqual({ key, sizeBytes: 64 * 1024 + 1000 });
  });

  it('stores when the declared checksum matches, in either case', async () => {
    const key = 'models/checksum-ok/1.0.0/model.onnx';
    const data = randomBytes(5000);
    const put = await store.put(key, body(data), { expectedSha256: sha256(data).toUpperCase() });
    expect(put.sha256).toBe(sha256(data));
    expect(await store.stat(key)).toEqual({ key, sizeBytes: 5000 });
  });

  it('stores nothing when the declared checksum differs', async () => {
    const key = 'models/checksum-bad/1.0.0/model.onnx';
    const err = await rejectionOf(store.put(key, body(randomBytes(5000)), { expectedSha256: sha256('something else') }));
    expect(err).toMatchObject({ code: 'CHECKSUM_MISMATCH', status: 400, details: [{ field: 'checksum' }] });
    expect(await store.stat(key)).toBeNull();
    await expect(store.get(key)).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' });
  });

  it('leaves the previous object intact when a replacement fails verification', async () => {
    const key = 'models/checksum-keep/1.0.0/model.onnx';
    await store.put(key, body('good'));
    await expect(store.put(key, body('evil'), { expectedSha256: sha256('good') })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect((await readAll(await store.get(key))).toString()).toBe('good');
  });

  it('rejects a malformed declared checksum before reading', async () => {
    const key = 'models/checksum-malformed/1.0.0/model.onnx';
    const err = await rejectionOf(store.put(key, body('x'), { expectedSha256: 'md5:abc' }));
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'checksum' }] });
    expect(await store.stat(key)).toBeNull();
  });

  it('accepts exactly maxBytes', async () => {
    const key = 'models/max-exact/1.0.0/model.onnx';
    await store.put(key, body(randomBytes(1000)), { maxBytes: 1000 });
    expect(await store.stat(key)).toEqual({ key, sizeBytes: 1000 });
  });

  it('stores nothing when a small body exceeds maxBytes', async () => {
    const key = 'models/max-small/1.0.0/model.onnx';
    const err = await rejectionOf(store.put(key, body(randomBytes(1000), randomBytes(1)), { maxBytes: 1000 }));
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(await store.stat(key)).toBeNull();
  });

  it('stores nothing when a multi-part body exceeds maxBytes, and stops reading it', async () => {
    const key = 'models/max-large/1.0.0/model.onnx';
    const artifact = randomArtifact(64 * MiB);
    const err = await rejectionOf(store.put(key, artifact.stream, { maxBytes: 12 * MiB }));
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(artifact.produced()).toBeLessThan(32 * MiB);
    expect(await store.stat(key)).toBeNull();
  });

  it('stores nothing when the source stream fails midway', async () => {
    const key = 'models/source-error/1.0.0/model.onnx';
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(6 * MiB);
        throw new Error('client went away');
      })(),
    );
    await expect(store.put(key, failing)).rejects.toThrow('client went away');
    expect(await store.stat(key)).toBeNull();
  });

  it('reports unknown keys', async () => {
    const key = 'models/unknown/1.0.0/model.onnx';
    expect(await store.stat(key)).toBeNull();
    expect(await rejectionOf(store.get(key))).toMatchObject({ code: 'ARTIFACT_NOT_FOUND', status: 404 });
    expect(await rejectionOf(store.checksum(key))).toMatchObject({ code: 'ARTIFACT_NOT_FOUND' });
  });

  it('deletes idempotently', async () => {
    const key = 'models/delete/1.0.0/model.onnx';
    await store.put(key, body('bye'));
    await store.delete(key);
    expect(await store.stat(key)).toBeNull();
    await expect(store.get(key)).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' });
    await expect(store.delete(key)).resolves.toBeUndefined();
    await expect(store.delete('models/never-existed/model.onnx')).resolves.toBeUndefined();
  });

  it('treats a key prefix as no artifact', async () => {
    await store.put('models/prefix/1.0.0/model.onnx', body('x'));
    expect(await store.stat('models/prefix')).toBeNull();
    await expect(store.get('models/prefix/1.0.0')).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' });
  });

  it.each(['../escape', 'models/../../etc/passwd', '/etc/passwd', 'a\\b', 'tmp/x', 'models/.tmp-x', 'models/a\0b'])(
    'rejects the invalid key %j in every operation',
    async (key) => {
      for (const op of [
        () => store.put(key, body('x')),
        () => store.get(key),
        () => store.stat(key),
        () => store.delete(key),
        () => store.checksum(key),
      ])
        expect(await rejectionOf(op())).toMatchObject({ code: 'VALIDATION_ERROR' });
    },
  );

  it('resolves its own references and rejects foreign ones', () => {
    const key = 'models/ref/1.0.0/model.onnx';
    expect(store.resolveReference(key)).toBe(key);
    expect(store.resolveReference(h.ownReference(key))).toBe(key);
    expect(store.resolveReference(store.toReference(key))).toBe(key);
    expect(() => store.resolveReference(h.foreignReference)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'artifactPath' })] }));
    expect(() => store.resolveReference('models/../../etc/passwd')).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }));
  });

  it(
    'streams a 300 MB artifact without holding it in memory',
    async () => {
      const key = 'models/big/1.0.0/model.onnx';
      const size = 300 * MiB;
      const artifact = randomArtifact(size);
      const { result: put, growth } = await peakMemoryGrowth(() => store.put(key, artifact.stream, { maxBytes: size }));
      expect(put).toEqual({ key, sizeBytes: size, sha256: artifact.sha256() });
      expect(growth).toBeLessThan(100 * MiB);
      expect(await store.stat(key)).toEqual({ key, sizeBytes: size });
      const { result: stored, growth: readGrowth } = await peakMemoryGrowth(() => store.checksum(key));
      expect(stored).toBe(put.sha256);
      expect(readGrowth).toBeLessThan(100 * MiB);
      await store.delete(key);
    },
    240_000,
  );
});
