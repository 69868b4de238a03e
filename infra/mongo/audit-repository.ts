import { createHash } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { chainRecord, verifyChain, CHAIN_START, type AuditEntry, type AuditRecord, type ChainCursor, type ChainProblem } from '../../domain/audit/audit-chain';
import { isDuplicateKeyError } from './client';
import { isBusy } from './db-errors';
import { escapeRegex } from './escape-regex';

/** A stored record: `_id` is its seq (why: a duplicate `_id` insert fails on every MongoDB-wire server, FerretDB included). */
interface AuditDoc extends Omit<AuditRecord, 'seq' | 'at'> {
  _id: number;
  at: Date;
  /** Idempotency key of a record that may be appended twice (a retried activity); not part of the hash. */
  key?: string;
}

export interface AuditQuery {
  /** Actor id or name. */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  requestId?: string;
  limit: number;
  offset: number;
}

export interface ChainVerification {
  valid: boolean;
  /** Records checked (up to the first problem). */
  checked: number;
  /** The newest seq seen (0: empty chain). */
  lastSeq: number;
  firstBrokenSeq: number | null;
  problem: ChainProblem | null;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Appends that lost the race for the next seq before giving up (each retry re-reads the tail). */
const MAX_APPEND_ATTEMPTS = 100;
const VERIFY_PAGE = 500;

/**
 * JSON-shaped copy: Dates become ISO text, `undefined` members go. What is hashed must be what
 * the store gives back (the driver would store `undefined` as null and a Date as a BSON date).
 */
function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function normalizeEntry(e: AuditEntry): AuditEntry {
  const out: AuditEntry = { actor: plain(e.actor), action: e.action, target: plain(e.target), status: e.status, requestId: e.requestId, traceId: e.traceId };
  if (e.before !== undefined) out.before = plain(e.before) ?? null;
  if (e.after !== undefined) out.after = plain(e.after) ?? null;
  if (e.details !== undefined) out.details = plain(e.details);
  return out;
}

const toDoc = ({ seq, at, ...rest }: AuditRecord, key?: string): AuditDoc => ({ _id: seq, ...rest, at: new Date(at), ...(key !== undefined && { key }) });
const toRecord = ({ _id, at, key: _k, ...rest }: AuditDoc): AuditRecord => ({ ...rest, seq: _id, at: at.toISOString() });


/**
 * The audit trail in `audit_log`, a hash chain (domain/audit/audit-chain.ts). Appends from
 * several api replicas and the worker at once are ordered optimistically, without transactions:
 * read the tail, insert seq + 1 as `_id`; a writer that lost the race (duplicate `_id`) re-reads
 * the tail and tries again. Records are never updated or deleted by HotSwap (purges keep them).
 */
export class AuditRepository {
  readonly col: Collection<AuditDoc>;
  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.col = db.collection<AuditDoc>('audit_log');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.col.createIndex({ at: -1 }, { name: 'at' }),
      this.col.createIndex({ requestId: 1 }, { name: 'request' }),
      this.col.createIndex({ 'target.id': 1 }, { name: 'target' }),
      this.col.createIndex({ key: 1 }, { name: 'key' }),
    ]);
  }

  /**
   * Appends one record at the end of the chain and returns it. With `key`, a record already
   * appended under that key is returned instead (a retried activity appends once; two retries
   * racing each other could still both append — Temporal runs one attempt at a time).
   */
  async append(entry: AuditEntry, key?: string): Promise<AuditRecord> {
    if (key !== undefined) {
      const existing = await this.col.findOne({ key });
      if (existing) return toRecord(existing);
    }
    const normalized = normalizeEntry(entry);
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const tail = await this.col.find({}, { projection: { hash: 1 } }).sort({ _id: -1 }).limit(1).next();
      const record = chainRecord(normalized, tail ? { seq: tail._id, hash: tail.hash } : null, this.now().toISOString(), sha256Hex);
      try {
        await this.col.insertOne(toDoc(record, key));
        return record;
      } catch (e) {
        if (!isDuplicateKeyError(e) && !isBusy(e)) throw e;
        // Another writer took this seq: back off a little (jitter keeps racers apart), then re-read.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 5)));
      }
    }
    throw new Error(`audit trail: no free seq after ${MAX_APPEND_ATTEMPTS} attempts`);
  }

  /** Records matching `q`, newest first, with the total matching. */
  async list(q: AuditQuery): Promise<{ records: AuditRecord[]; total: number }> {
    const filter: Filter<AuditDoc> = {};
    if (q.actor !== undefined) filter.$or = [{ 'actor.id': q.actor }, { 'actor.name': q.actor }];
    if (q.action !== undefined) filter.action = { $regex: `^${escapeRegex(q.action)}` };
    if (q.targetType !== undefined) filter['target.type'] = q.targetType;
    if (q.targetId !== undefined) filter['target.id'] = q.targetId;
    if (q.requestId !== undefined) filter.requestId = q.requestId;
    if (q.from !== undefined || q.to !== undefined) filter.at = { ...(q.from && { $gte: q.from }), ...(q.to && { $lt: q.to }) };
    const [docs, total] = await Promise.all([this.col.find(filter).sort({ _id: -1 }).skip(q.offset).limit(q.limit).toArray(), this.col.countDocuments(filter)]);
    return { records: docs.map(toRecord), total };
  }

  /** Walks the whole chain in pages of VERIFY_PAGE and reports the first record that does not check out. */
  async verify(): Promise<ChainVerification> {
    let cursor: ChainCursor = CHAIN_START;
    let checked = 0;
    for (;;) {
      const page = (await this.col.find({ _id: { $gte: cursor.nextSeq } }).sort({ _id: 1 }).limit(VERIFY_PAGE).toArray()).map(toRecord);
      const result = verifyChain(page, cursor, sha256Hex);
      checked += result.cursor.nextSeq - cursor.nextSeq;
      cursor = result.cursor;
      if (result.problem) return { valid: false, checked, lastSeq: await this.lastSeq(), firstBrokenSeq: result.problem.seq, problem: result.problem };
      if (page.length < VERIFY_PAGE) return { valid: true, checked, lastSeq: cursor.nextSeq - 1, firstBrokenSeq: null, problem: null };
    }
  }

  private async lastSeq(): Promise<number> {
    return (await this.col.find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).next())?._id ?? 0;
  }
}
