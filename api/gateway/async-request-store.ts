import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKeyError } from '../../infra/mongo/client';
import { ensureTtlIndex } from '../../infra/mongo/ttl-index';
import type { NativeKind, ErrorObject } from './native-inference';

export type AsyncStatus = 'Pending' | 'Processing' | 'Completed' | 'Failed';

/** An accepted `?mode=async` inference request (collection `async_requests`). */
export interface AsyncRequestDoc {
  _id: string; // the request id
  schemaVersion: 1;
  status: AsyncStatus;
  kind: NativeKind;
  modelName: string;
  environment: string;
  /** The caller's JSON body as received (stored as text: feature names may hold "." or "$"). */
  body: string;
  /** The value of the table's sticky header at acceptance, if any. */
  sticky: { header: string; value: string } | null;
  principalId: string;
  traceId: string;
  /** The W3C trace context at acceptance, continued when the request is processed. */
  traceparent: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Deleted at this time, whatever its state (ASYNC_RETENTION_HOURS after acceptance; absent on documents written before it existed). */
  expiresAt?: Date;
  /** Not to be claimed before this time (back-off after "no server could take it"). */
  notBefore: Date;
  /** Claims so far; the next claim is attempt attempts + 1. */
  attempts: number;
  claimedBy: string | null;
  claimedAt: Date | null;
  httpStatus?: number;
  result?: unknown;
  error?: ErrorObject;
  completedAt?: Date;
}

interface ClaimDoc {
  _id: string; // `${requestId}#${attempt}`
  requestId: string;
  by: string;
  at: Date;
}

const CANDIDATES_PER_CLAIM = 8;

/**
 * Storage of async inference requests, shared by every api replica. Claiming is decided by a
 * unique insert into `async_request_claims` (`${requestId}#${attempt}`), not by a conditional
 * update: on FerretDB findOneAndUpdate is not atomic under concurrency (measured: 30 parallel
 * claims of 10 pending documents returned 30 "successful" claims), while a duplicate _id insert
 * always fails. Whoever inserts attempt N owns the request until it finishes, releases it, or
 * its claim goes stale (ASYNC_STALE_MS) and another replica takes attempt N + 1.
 */
export class AsyncRequestStore {
  private readonly col: Collection<AsyncRequestDoc>;
  private readonly claims: Collection<ClaimDoc>;

  constructor(db: Db) {
    this.col = db.collection<AsyncRequestDoc>('async_requests');
    this.claims = db.collection<ClaimDoc>('async_request_claims');
  }

  /** Indexes, and a TTL index on `expiresAt` where the server has them (else the sweep deletes); returns whether the TTL is enforced. */
  async ensureIndexes(): Promise<{ ttl: boolean }> {
    await this.col.createIndex({ status: 1, notBefore: 1 }, { name: 'status_not_before' });
    await this.col.createIndex({ modelName: 1 }, { name: 'model' });
    await this.claims.createIndex({ requestId: 1 }, { name: 'request' });
    return ensureTtlIndex(this.col, 'expiresAt', 'expires_ttl', 0);
  }

  /**
   * Deletes the requests past their `expiresAt` (and, for documents written before it existed,
   * those created more than `retentionMs` ago) with their claims; returns how many.
   */
  async deleteExpired(retentionMs: number, now = new Date()): Promise<number> {
    const filter = { $or: [{ expiresAt: { $lte: now } }, { expiresAt: { $exists: false }, createdAt: { $lt: new Date(now.getTime() - retentionMs) } }] };
    return this.deleteMatching(filter);
  }

  /** Deletes the requests of a model (by name or id, as callers addressed it) with their claims; returns how many. */
  async deleteByModel(names: readonly string[]): Promise<number> {
    return this.deleteMatching({ modelName: { $in: [...names] } });
  }

  /** Deletes one request, when it is addressed to one of `names`, with its claims; returns 0 or 1. */
  async deleteRequest(names: readonly string[], requestId: string): Promise<number> {
    return this.deleteMatching({ _id: requestId, modelName: { $in: [...names] } });
  }

  private async deleteMatching(filter: Filter<AsyncRequestDoc>): Promise<number> {
    const ids = (await this.col.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    if (ids.length === 0) return 0;
    const r = await this.col.deleteMany({ _id: { $in: ids } });
    await this.claims.deleteMany({ requestId: { $in: ids } });
    return r.deletedCount;
  }

  /** Stores a new Pending request; false when the request id is already taken. */
  async insert(doc: Omit<AsyncRequestDoc, 'schemaVersion' | 'status' | 'attempts' | 'claimedBy' | 'claimedAt' | 'updatedAt' | 'notBefore'>): Promise<boolean> {
    try {
      await this.col.insertOne({ ...doc, schemaVersion: 1, status: 'Pending', attempts: 0, claimedBy: null, claimedAt: null, updatedAt: doc.createdAt, notBefore: doc.createdAt });
      return true;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  }

  get(id: string): Promise<AsyncRequestDoc | null> {
    return this.col.findOne({ _id: id });
  }

  /**
   * Claims the oldest claimable request — Pending and due, or Processing under a stale claim —
   * for `by`; null when there is none. The returned document carries the new attempt number.
   */
  async claimNext(by: string, staleMs: number, now = new Date()): Promise<AsyncRequestDoc | null> {
    const candidates = await this.col
      .find({
        $or: [
          { status: 'Pending', notBefore: { $lte: now } },
          { status: 'Processing', claimedAt: { $lt: new Date(now.getTime() - staleMs) } },
        ],
      })
      .sort({ createdAt: 1 })
      .limit(CANDIDATES_PER_CLAIM)
      .toArray();
    for (const c of candidates) {
      const attempt = c.attempts + 1;
      try {
        await this.claims.insertOne({ _id: `${c._id}#${attempt}`, requestId: c._id, by, at: now });
      } catch (e) {
        if (isDuplicateKeyError(e)) continue; // another replica took this attempt
        throw e;
      }
      const set = { status: 'Processing' as const, attempts: attempt, claimedBy: by, claimedAt: now, updatedAt: now };
      await this.col.updateOne({ _id: c._id }, { $set: set });
      return { ...c, ...set };
    }
    return null;
  }

  async complete(doc: AsyncRequestDoc, result: unknown, now = new Date()): Promise<void> {
    await this.finish(doc, { status: 'Completed', httpStatus: 200, result, completedAt: now, updatedAt: now });
  }

  async fail(doc: AsyncRequestDoc, httpStatus: number, error: ErrorObject, now = new Date()): Promise<void> {
    await this.finish(doc, { status: 'Failed', httpStatus, error, completedAt: now, updatedAt: now });
  }

  /** Puts a claimed request back to Pending, due at `notBefore` (back-off, or release at shutdown). */
  async release(doc: AsyncRequestDoc, notBefore: Date, now = new Date()): Promise<void> {
    await this.col.updateOne({ _id: doc._id, attempts: doc.attempts }, { $set: { status: 'Pending', notBefore, claimedBy: null, claimedAt: null, updatedAt: now } });
  }

  private async finish(doc: AsyncRequestDoc, set: Partial<AsyncRequestDoc>): Promise<void> {
    await this.col.updateOne({ _id: doc._id }, { $set: set });
    await this.claims.deleteMany({ requestId: doc._id }).catch(() => undefined);
  }
}
