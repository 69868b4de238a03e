/**
 * The audit trail's hash chain: every record carries its position (`seq`, 1, 2, 3, … with no
 * gaps), the previous record's hash and its own hash over its content and that previous hash.
 * Removing a record leaves a gap in `seq` (or, if the rest were renumbered, a `prevHash` that no
 * longer matches); editing one changes the hash its content gives. Pure: no I/O, no clock
 * (the hash function is passed in, node:crypto's SHA-256 in production).
 *
 * What the chain cannot show by itself: the newest records removed from the tail (the chain
 * that is left is valid). `verifyChain` reports the last seq it saw, so a caller that noted it
 * earlier can compare.
 */
import { canonicalJson } from '../routing/canonical-json';

/** Who did it: a person or key through the API, a deployment workflow, or an unauthenticated caller. */
export interface AuditActor {
  type: 'user' | 'api-key' | 'workflow' | 'anonymous';
  id: string | null;
  name: string | null;
  role: string | null;
}

export interface AuditTarget {
  type: string;
  id: string;
}

/** What a caller hands the trail: everything but the chain fields and the time. */
export interface AuditEntry {
  actor: AuditActor;
  /** e.g. `PUT /api/v1/routing/:modelName/:environment`, `deployment.decision`. */
  action: string;
  target: AuditTarget | null;
  /** HTTP status of an API call; null for a workflow decision. */
  status: number | null;
  before?: unknown;
  after?: unknown;
  /** Extra facts (a workflow decision's step and reason, a route's parameters). */
  details?: Record<string, unknown>;
  requestId: string | null;
  traceId: string | null;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  /** ISO 8601 time of the append. */
  at: string;
  prevHash: string;
  hash: string;
}

/** The prevHash of seq 1. */
export const GENESIS_HASH = '0'.repeat(64);

export type HashFn = (text: string) => string;

/**
 * The hash of a record: `hash(canonicalJson(record without hash))`, which includes `prevHash`.
 * Keys are sorted and `undefined` members left out, so the stored copy (any key order) hashes the same.
 * Example: two records equal but for `status` (200 vs 201) get different hashes.
 */
export function hashRecord(record: Omit<AuditRecord, 'hash'> & { hash?: string }, hash: HashFn): string {
  const { hash: _h, ...content } = record;
  return hash(canonicalJson(content));
}

/** The next record after `tail` (null: the chain is empty). */
export function chainRecord(entry: AuditEntry, tail: Pick<AuditRecord, 'seq' | 'hash'> | null, at: string, hash: HashFn): AuditRecord {
  const body: Omit<AuditRecord, 'hash'> = { ...entry, seq: (tail?.seq ?? 0) + 1, at, prevHash: tail?.hash ?? GENESIS_HASH };
  return { ...body, hash: hashRecord(body, hash) };
}

export type ChainProblemKind = 'missing' | 'prev-hash-mismatch' | 'hash-mismatch';

export interface ChainProblem {
  /** The first seq that does not check out (for `missing`: the seq that should be there). */
  seq: number;
  kind: ChainProblemKind;
  message: string;
}

/** Where a verification stands between pages: the next seq expected and the hash it must point back to. */
export interface ChainCursor {
  nextSeq: number;
  prevHash: string;
}

export const CHAIN_START: ChainCursor = { nextSeq: 1, prevHash: GENESIS_HASH };

/**
 * Checks `records` (ascending seq) as the continuation of `cursor`. Returns the cursor after
 * them, or the first problem. Rules, in order, for each record:
 * seq ≠ expected → `missing` (a record was removed); prevHash ≠ previous hash →
 * `prev-hash-mismatch` (removed and renumbered, or reordered); hash ≠ hash of content →
 * `hash-mismatch` (edited).
 * Example: seqs 1, 2, 4 → { seq: 3, kind: 'missing' }.
 */
export function verifyChain(records: readonly AuditRecord[], cursor: ChainCursor, hash: HashFn): { cursor: ChainCursor; problem: ChainProblem | null } {
  let { nextSeq, prevHash } = cursor;
  for (const r of records) {
    if (r.seq !== nextSeq) return { cursor: { nextSeq, prevHash }, problem: { seq: nextSeq, kind: 'missing', message: `record ${nextSeq} is missing (next found: ${r.seq})` } };
    if (r.prevHash !== prevHash) return { cursor: { nextSeq, prevHash }, problem: { seq: r.seq, kind: 'prev-hash-mismatch', message: `record ${r.seq} does not point at the hash of record ${r.seq - 1}` } };
    if (hashRecord(r, hash) !== r.hash) return { cursor: { nextSeq, prevHash }, problem: { seq: r.seq, kind: 'hash-mismatch', message: `record ${r.seq} was changed after it was written` } };
    nextSeq = r.seq + 1;
    prevHash = r.hash;
  }
  return { cursor: { nextSeq, prevHash }, problem: null };
}
