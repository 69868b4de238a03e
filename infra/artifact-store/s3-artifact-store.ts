import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError, errors, isAppError } from '../../domain/errors';
import type { ArtifactStat, ArtifactStore, PutOptions, PutResult } from './artifact-store';
import { assertArtifactKey, invalidReference, S3_TEMP_PREFIX } from './artifact-key';
import { assertSha256Matches, normaliseSha256, sha256OfStream, Sha256Meter, toReadable } from './sha256-meter';

/**
 * A single CopyObject copies at most 5 GiB; larger objects would need UploadPartCopy. Uploads
 * are capped there (MAX_ARTIFACT_BYTES defaults to 2 GiB) rather than carrying that code path.
 */
export const S3_MAX_COPY_BYTES = 5 * 1024 ** 3;

export interface S3ArtifactStoreOptions {
  bucket: string;
  /** Supply a ready client, or the connection settings below. */
  client?: S3Client;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
  /** Multipart part size; memory held per upload is about partSizeBytes × (queueSize + 1). */
  partSizeBytes?: number;
  queueSize?: number;
}

/**
 * Artifacts as objects in one bucket. A put streams through a hashing Transform into a
 * multipart upload at `tmp/<uuid>`, and is copied to its key only once size and checksum are
 * verified; the temporary object is deleted whatever happens. A process killed mid-upload can
 * still leave `tmp/` objects or incomplete multipart uploads behind: a bucket lifecycle rule
 * expiring `tmp/` and aborting stale multipart uploads is the operator's safety net.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly client: S3Client;
  private readonly region: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: S3ArtifactStoreOptions) {
    this.bucket = opts.bucket;
    this.region = opts.region ?? 'us-east-1';
    this.partSize = opts.partSizeBytes ?? 8 * 1024 * 1024;
    this.queueSize = opts.queueSize ?? 2;
    this.client =
      opts.client ??
      new S3Client({
        endpoint: opts.endpoint,
        region: this.region,
        forcePathStyle: opts.forcePathStyle ?? true,
        credentials:
          opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined
            ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey }
            : undefined,
      });
  }

  init(): Promise<void> {
    return this.ensureBucket();
  }

  /** Creates the bucket unless it exists; safe to race with another process doing the same. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the one region that rejects an explicit LocationConstraint.
          CreateBucketConfiguration: this.region === 'us-east-1' ? undefined : { LocationConstraint: this.region as BucketLocationConstraint },
        }),
      );
    } catch (e) {
      const name = (e as Error).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw e;
    }
  }

  async put(key: string, body: NodeJS.ReadableStream | Readable, opts: PutOptions = {}): Promise<PutResult> {
    assertArtifactKey(key);
    const expected = normaliseSha256(opts.expectedSha256);
    const meter = new Sha256Meter(Math.min(opts.maxBytes ?? Number.POSITIVE_INFINITY, S3_MAX_COPY_BYTES));
    const metered = meter.transform();
    const tmpKey = `${S3_TEMP_PREFIX}${randomUUID()}`;
    const piping = pipeline(toReadable(body), metered);
    // Upload reads `metered` part by part, so at most partSize × queueSize bytes are buffered.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmpKey, Body: metered, ContentType: 'application/octet-stream' },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    const uploading = upload.done().catch((e: unknown) => {
      // Nobody reads `metered` any more: without this the source would stall, never settling `piping`.
      metered.destroy(e as Error);
      throw e;
    });
    try {
      const [piped, uploaded] = await Promise.allSettled([piping, uploading]);
      // The meter's own verdict (too large) beats the upload failure it caused.
      if (piped.status === 'rejected' && isAppError(piped.reason)) throw piped.reason;
      if (uploaded.status === 'rejected') throw uploaded.reason;
      if (piped.status === 'rejected') throw piped.reason;
      const sha256 = meter.digest();
      assertSha256Matches(expected, sha256);
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: `${this.bucket}/${tmpKey}` }));
      return { key, sizeBytes: meter.bytes, sha256 };
    } finally {
      // Best effort: a failure here must not mask the put's own outcome.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Readable> {
    assertArtifactKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) throw new Error(`S3 returned no body for ${key}`);
      return res.Body as Readable;
    } catch (e) {
      throw isNotFound(e) ? errors.notFound('ARTIFACT_NOT_FOUND', key) : e;
    }
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    assertArtifactKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, sizeBytes: res.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    assertArtifactKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async checksum(key: string): Promise<string> {
    return sha256OfStream(await this.get(key));
  }

  resolveReference(ref: string): string {
    const m = /^s3:\/\/([^/]*)\/(.*)$/s.exec(ref);
    if (m) {
      if (m[1] !== this.bucket) throw invalidReference(`artifact must be in bucket "${this.bucket}"`);
      return assertArtifactKey(m[2], 'artifactPath');
    }
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref)) throw invalidReference(`expected s3://${this.bucket}/<key> or a bare key`);
    return assertArtifactKey(ref, 'artifactPath');
  }

  toReference(key: string): string {
    return `s3://${this.bucket}/${assertArtifactKey(key)}`;
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      throw new AppError('SERVICE_UNAVAILABLE', `S3 bucket ${this.bucket} is not reachable: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** NoSuchKey from GetObject, a bare 404 (NotFound) from HEAD requests. A missing bucket is not a missing artifact. */
function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (err?.name === 'NoSuchBucket') return false;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}
