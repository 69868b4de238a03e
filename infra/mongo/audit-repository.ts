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

const toDoc = ({ seq, at, ...rest }: AuditRecord): AuditDoc => ({ _id: seq, ...rest, at: new Date(at) });
const toRecord = ({ _id, at, ...rest }: AuditDoc): AuditRecord => ({ ...rest, seq: _id, at: at.toISOString() });

/**
 * The audit trail in `audit_log`, a hash chain (domain/audit/audit-chain.ts). Appends from
 * several api replicas and the worker at once are ordered optimistically, without transactions:
 * read the tail, insert seq + 1 as `_id`; a writer that lost the race (duplicate `_id`) re-reads
 * the tail and tries again. Records are never updated or deleted by HotSwap (purges keep them).
 */
export class AuditRepository {
  readonly col: Collection<AuditDoc>;
  /** `audit_keys`: which keyed entries were appended (`_id` the key: a read by `_id`, see tail()). */
  private readonly keys: Collection<{ _id: string; seq: number }>;
  /** The newest record this process saw (records never change); where the search for the tail starts. */
  private hint: { seq: number; hash: string } | null = null;
  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.col = db.collection<AuditDoc>('audit_log');
    this.keys = db.collection<{ _id: string; seq: number }>('audit_keys');
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.col.createIndex({ at: -1 }, { name: 'at' }),
      this.col.createIndex({ requestId: 1 }, { name: 'request' }),
      this.col.createIndex({ 'target.id': 1 }, { name: 'target' }),
    ]);
  }

  /**
   * Appends one record at the end of the chain and returns its seq. With `key`, an entry
   * already appended under that key is not appended again (a retried activity). The key is
   * marked after the append, so a process that dies between the two can append it twice
   * (at least once, never lost).
   */
  async append(entry: AuditEntry, key?: string): Promise<number> {
    if (key !== undefined) {
      const marked = await this.keys.findOne({ _id: key });
      if (marked) return marked.seq;
    }
    const normalized = normalizeEntry(entry);
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const tail = await this.tail();
      const record = chainRecord(normalized, tail, this.now().toISOString(), sha256Hex);
      try {
        await this.col.insertOne(toDoc(record));
        this.hint = { seq: record.seq, hash: record.hash };
        if (key !== undefined) await this.keys.updateOne({ _id: key }, { $set: { seq: record.seq } }, { upsert: true });
        return record.seq;
      } catch (e) {
        if (!isDuplicateKeyError(e) && !isBusy(e)) throw e;
        // Another writer took this seq: back off a little (jitter keeps racers apart), then look again.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 5)));
      }
    }
    throw new Error(`audit trail: no free seq after ${MAX_APPEND_ATTEMPTS} attempts`);
  }

  /**
   * The newest record, found with reads by `_id` only (why: FerretDB answers nothing else from
   * an index; a sort would scan the whole trail on every append). From the last seq this process
   * saw, it probes seq + 1, + 3, + 7, … until one is missing, then bisects back: one read when
   * nobody else appended since, about 2·log2(n) at the first append of a process. A record
   * removed from the middle may be taken for the end; the append then fills the gap, and verify
   * still reports the break (the next record's prevHash no longer matches).
   */
  private async tail(): Promise<{ seq: number; hash: string } | null> {
    const read = (seq: number) => this.col.findOne({ _id: seq }, { projection: { hash: 1 } });
    let lo = this.hint?.seq ?? 0;
    let loHash = this.hint?.hash ?? '';
    let hi = lo + 1;
    for (let step = 1; ; step *= 2) {
      const doc = await read(hi);
      if (!doc) break;
      [lo, loHash] = [hi, doc.hash];
      hi = lo + step * 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const doc = await read(mid);
      if (doc) [lo, loHash] = [mid, doc.hash];
      else hi = mid;
    }
    this.hint = lo > 0 ? { seq: lo, hash: loHash } : null;
    return this.hint;
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

  /**
   * Walks the whole chain in seq order (one cursor: a single scan on FerretDB) and reports the
   * first record that does not check out.
   */
  async verify(): Promise<ChainVerification> {
    let cursor: ChainCursor = CHAIN_START;
    let page: AuditRecord[] = [];
    const check = async (): Promise<ChainVerification | null> => {
      const result = verifyChain(page, cursor, sha256Hex);
      page = [];
      if (result.problem) return { valid: false, checked: result.cursor.nextSeq - 1, lastSeq: await this.lastSeq(), firstBrokenSeq: result.problem.seq, problem: result.problem };
      cursor = result.cursor;
      return null;
    };
    for await (const doc of this.col.find({}).sort({ _id: 1 }).batchSize(VERIFY_PAGE)) {
      page.push(toRecord(doc));
      if (page.length >= VERIFY_PAGE) {
        const broken = await check();
        if (broken) return broken;
      }
    }
    const broken = await check();
    if (broken) return broken;
    return { valid: true, checked: cursor.nextSeq - 1, lastSeq: cursor.nextSeq - 1, firstBrokenSeq: null, problem: null };
  }

  private async lastSeq(): Promise<number> {
    return (await this.col.find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).next())?._id ?? 0;
  }
}
