import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';

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
