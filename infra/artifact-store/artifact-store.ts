import type { Readable } from 'node:stream';

export interface ArtifactStat {
  key: string;
  sizeBytes: number;
}

export interface PutResult {
  key: string;
  sizeBytes: number;
  /** Lowercase hex. */
  sha256: string;
}

export interface PutOptions {
  /** More bytes than this → AppError PAYLOAD_TOO_LARGE, and nothing is stored. */
  maxBytes?: number;
  /** Hex SHA-256 the caller declared; a different digest → AppError CHECKSUM_MISMATCH, and nothing is stored. */
  expectedSha256?: string;
}

/**
 * Where model artifacts live. Keys are validated by artifact-key.ts (e.g.
 * `models/<modelName>/<version>/model.onnx`); every adapter runs the same contract suite
 * (test/integration/artifact-store.test.ts).
 */
export interface ArtifactStore {
  readonly kind: 'fs' | 's3';
  /** Creates the root directory or bucket if missing; idempotent. */
  init(): Promise<void>;
  /**
   * Streams `body` under `key`, hashing and counting on the way. Data lands in a temporary
   * location first and is moved into place only once size and checksum are verified, so a
   * rejected or failed upload never replaces or creates the object, and leaves no temporary behind.
   */
  put(key: string, body: NodeJS.ReadableStream | Readable, opts?: PutOptions): Promise<PutResult>;
  /** Unknown key → AppError ARTIFACT_NOT_FOUND (raised here, not later on the stream). */
  get(key: string): Promise<Readable>;
  /** null when the key does not exist. */
  stat(key: string): Promise<ArtifactStat | null>;
  /** Idempotent: deleting an unknown key succeeds. */
  delete(key: string): Promise<void>;
  /** SHA-256 (lowercase hex) of the stored object, streamed. Unknown key → ARTIFACT_NOT_FOUND. */
  checksum(key: string): Promise<string>;
  /**
   * Turns a user-supplied artifact reference (`s3://bucket/key`, `fs://key`, `file:///abs/path`
   * or a bare key, depending on the store) into a key of THIS store, or throws
   * VALIDATION_ERROR with field `artifactPath`.
   */
  resolveReference(ref: string): string;
  /** The reference users see for `key`, accepted back by resolveReference. */
  toReference(key: string): string;
  /** Cheap reachability check for /health; throws AppError SERVICE_UNAVAILABLE. */
  ping(): Promise<void>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
