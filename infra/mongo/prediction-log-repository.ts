import { MongoBulkWriteError, MongoServerError, type Collection, type Db } from 'mongodb';
import type { PredictionRole } from '../../domain/metrics';

/**
 * One logged prediction in `predictions`. The request id is the document `_id` (so it is
 * unique and lookups by request id use the primary index); `requestId` repeats it for readers.
 */
export interface PredictionDoc {
  _id: string;
  requestId: string;
  time: Date;
  modelId: string;
  modelName: string;
  version: string;
  versionId: string;
  environment: string;
  role: PredictionRole;
  features: unknown;
  outputs: unknown;
  latencyMs: number | null;
  status: 'Completed' | 'Failed';
  errorCode?: string;
  traceId?: string;
  cached: boolean;
  serverId?: string;
  primaryRequestId?: string;
  /**
   * Set when features/outputs could not be stored as documents (e.g. keys with "." or a leading
   * "$" that the server rejects): they are then kept as JSON text in features/outputs.
   */
  encoded?: 'json';
}

export interface InsertOutcome {
  inserted: number;
  /** Already in the log (a replay, or a retry after an unknown outcome). */
  duplicates: number;
  /** Documents the server refused (not a duplicate): index in the batch and reason. */
  rejected: { index: number; message: string }[];
}

interface WriteErrorLike {
  index: number;
  code: number;
  errmsg?: string;
}

/** The per-document errors of a bulk write the server answered, or undefined when it is another failure. */
export function bulkWriteErrors(e: unknown): WriteErrorLike[] | undefined {
  if (!(e instanceof MongoBulkWriteError)) return undefined;
  const raw = e.writeErrors as unknown;
  const list = (Array.isArray(raw) ? raw : raw ? [raw] : []) as WriteErrorLike[];
  if (list.length === 0 || e.writeConcernError) return undefined;
  return list;
}

/** Server codes that mean "not now" (shutting down, failing over, timed out), not "never". */
const TRANSIENT_CODES = new Set([6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * True when a failed write may succeed later unchanged: the server was unreachable, shutting
 * down or failing over. False when the server answered that it refuses the request itself
 * (then retrying the same documents would fail forever).
 */
export function isOutage(e: unknown): boolean {
  // The driver wraps network failures of bulk writes in MongoBulkWriteError (a MongoServerError
  // subclass) without a numeric code: only a numeric server code means the server answered.
  if (!(e instanceof MongoServerError) || typeof e.code !== 'number') return true;
  if (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('ResetPool')) return true;
  return TRANSIENT_CODES.has(e.code);
}

const NOT_IMPLEMENTED = 238;

export class PredictionLogRepository {
  readonly col: Collection<PredictionDoc>;
  constructor(db: Db) {
    this.col = db.collection<PredictionDoc>('predictions');
  }

  /**
   * Indexes: time with a TTL of `retentionDays` (MongoDB deletes expired entries itself;
   * servers without TTL support — FerretDB — get a plain index, and the periodic sweep does
   * the deleting). Lookups by request id use `_id`. Returns whether the server enforces the TTL.
   */
  async ensureIndexes(retentionDays: number): Promise<{ ttl: boolean }> {
    const expireAfterSeconds = Math.round(retentionDays * 86400);
    try {
      await this.col.createIndex({ time: 1 }, { name: 'time_ttl', expireAfterSeconds });
      return { ttl: true };
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 85 || code === 86) {
        // The TTL changed since the index was created: update it in place.
        try {
          await this.col.db.command({ collMod: this.col.collectionName, index: { name: 'time_ttl', expireAfterSeconds } });
          return { ttl: true };
        } catch {
          return { ttl: false };
        }
      }
      if (code !== NOT_IMPLEMENTED && code !== 67) throw e;
      await this.col.createIndex({ time: 1 }, { name: 'time' });
      return { ttl: false };
    }
  }

  /**
   * Inserts a batch unordered: duplicates (same request id) are ignored, refused documents are
   * reported, and every other failure throws (see `isOutage`) — the caller keeps the batch.
   */
  async insertBatch(docs: readonly PredictionDoc[]): Promise<InsertOutcome> {
    if (docs.length === 0) return { inserted: 0, duplicates: 0, rejected: [] };
    try {
      const r = await this.col.insertMany(docs, { ordered: false });
      return { inserted: r.insertedCount, duplicates: 0, rejected: [] };
    } catch (e) {
      const writeErrors = bulkWriteErrors(e);
      if (!writeErrors) throw e;
      let duplicates = 0;
      const rejected: InsertOutcome['rejected'] = [];
      for (const w of writeErrors) {
        if (w.code === 11000) duplicates++;
        else rejected.push({ index: w.index, message: w.errmsg ?? `code ${w.code}` });
      }
      return { inserted: docs.length - duplicates - rejected.length, duplicates, rejected };
    }
  }

  async ping(): Promise<void> {
    await this.col.db.command({ ping: 1 });
  }

  async findByRequestIds(ids: readonly string[]): Promise<PredictionDoc[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1) {
      const one = await this.col.findOne({ _id: ids[0] });
      return one ? [one] : [];
    }
    return this.col.find({ _id: { $in: [...ids] } }).toArray();
  }

  /** Deletes entries older than `before`; returns how many. */
  async deleteOlderThan(before: Date): Promise<number> {
    const r = await this.col.deleteMany({ time: { $lt: before } });
    return r.deletedCount;
  }
}
