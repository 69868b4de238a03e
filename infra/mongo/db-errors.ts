import { MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';

/** How database errors are told apart: the request's fault, an outage, or a busy server. */

/**
 * FerretDB's "the SQLite file is locked by another writer, try again" (SQLITE_BUSY, reported as
 * InternalError, code 1). Transient: the same write succeeds once the other writer is done.
 */
export function isBusy(e: unknown): boolean {
  if (!(e instanceof MongoServerError)) return false;
  const text = `${e.message} ${(e.errorResponse as { errmsg?: string } | undefined)?.errmsg ?? ''}`;
  return /SQLITE_BUSY|database is locked/.test(text);
}

/**
 * True when a request failed because the database is unreachable or momentarily busy, not
 * because of the request: the API answers 503 with Retry-After instead of 500.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  return e instanceof MongoNetworkError || e instanceof MongoServerSelectionError || isBusy(e);
}

export interface WriteErrorLike {
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
  if (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('ResetPool') || isBusy(e)) return true;
  return TRANSIENT_CODES.has(e.code);
}

