import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { bulkWriteErrors, type WriteErrorLike } from './db-errors';

/**
 * Most statements in one update command. FerretDB 1.24 (the local MongoDB) keeps the query of
 * each statement of an update command open — holding one of the database's 100 SQLite
 * connections — until the whole command ends. One bulk of 100 updates, or a few concurrent
 * bulks adding up to that, then waits forever for a connection it holds itself, and every
 * other client of the database waits with it (seen in the e2e canary: a 64-statement and a
 * 36-statement bulk froze the database for good). In commands of at most 8, one at a time,
 * a process holds at most 8; on MongoDB it costs a few more round trips.
 */
export const STATEMENTS_PER_COMMAND = 8;

export interface UpdateOutcome {
  /**
   * Write errors known exactly: `index` is the statement in `ops`; `repeated` when it came from
   * the statement's repeat (see `again`).
   */
  errors: (WriteErrorLike & { repeated?: boolean })[];
  /**
   * Statements of a multi-statement command that reported a write error: each may or may not
   * have been applied. FerretDB 1.24 stops an update command at its first failing statement
   * (even unordered) and reports it as index 0, so nothing finer can be known. Empty when
   * `again` was given: those statements were then repeated one per command.
   */
  uncertain: number[];
}

/**
 * Runs update operations unordered, at most `perCommand` per command, one command after
 * another. With `again` (the form of statement i that is safe to repeat: it does nothing if
 * the statement was applied), the statements a failed command leaves uncertain are sent again
 * that way, one per command, and their errors reported exactly. Throws any failure other than
 * write errors (then the commands before it were applied and the rest were not sent).
 */
export async function updateInSmallCommands<T extends Document>(
  col: Collection<T>,
  ops: readonly AnyBulkWriteOperation<T>[],
  perCommand = STATEMENTS_PER_COMMAND,
  again?: (i: number) => AnyBulkWriteOperation<T>,
): Promise<UpdateOutcome> {
  const outcome: UpdateOutcome = { errors: [], uncertain: [] };
  for (let start = 0; start < ops.length; start += perCommand) {
    const part = ops.slice(start, start + perCommand);
    try {
      await col.bulkWrite(part, { ordered: false });
    } catch (e) {
      const list = bulkWriteErrors(e);
      if (!list) throw e;
      if (part.length === 1) for (const w of list) outcome.errors.push({ index: start, code: w.code, errmsg: w.errmsg });
      else for (let i = 0; i < part.length; i++) outcome.uncertain.push(start + i);
    }
  }
  if (!again || outcome.uncertain.length === 0) return outcome;
  const uncertain = outcome.uncertain;
  const repeat = await updateInSmallCommands(col, uncertain.map(again), 1);
  for (const w of repeat.errors) outcome.errors.push({ ...w, index: uncertain[w.index], repeated: true });
  return { errors: outcome.errors, uncertain: [] };
}
