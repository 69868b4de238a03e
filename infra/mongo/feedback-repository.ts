import type { Collection, Db } from 'mongodb';
import type { PredictionRole } from '../../domain/metrics';
import { bulkWriteErrors } from './db-errors';
import { escapeRegex } from './escape-regex';
import { STATEMENTS_PER_COMMAND, updateInSmallCommands } from './update-commands';

/** `_id` reads in flight at once when looking up many request ids. */
const POINT_READS = 64;

/**
 * Ground truth in `feedback`: one document per labelled request (`_id` = request id, so a
 * request has at most one truth), with what it was compared against. Its metric-bucket
 * increments count as applied once `counted` is true or `feedback_counts` holds its
 * `countFlush` (one small document per submission, written after the submission's increments:
 * one insert instead of an update per item). A retried submission applies the ones whose
 * counting was interrupted (guarded by the bucket's flush ids, so not twice).
 */
export interface FeedbackDoc {
  _id: string;
  requestId: string;
  modelId: string;
  modelName: string;
  version: string;
  versionId: string;
  environment: string;
  role: PredictionRole;
  /** The prediction's time: its metric bucket, and the retention clock. */
  predictionTime: Date;
  task: 'classification' | 'regression';
  label?: string | number;
  value?: number;
  predictedLabel?: string | number;
  predictedValue?: number;
  correct?: boolean;
  error?: number;
  receivedAt: Date;
  by: string;
  /** Flush id the metric-bucket increments are applied with (the submission's). */
  countFlush: string;
  /** True once counted by a retried submission (the submission's own counting is in `feedback_counts`). */
  counted: boolean;
}

/** `feedback_counts`: the submission with this flush id had its increments applied. */
export interface CountedFlushDoc {
  _id: string;
  at: Date;
}

export class FeedbackRepository {
  readonly col: Collection<FeedbackDoc>;
  readonly counts: Collection<CountedFlushDoc>;
  constructor(db: Db) {
    this.col = db.collection<FeedbackDoc>('feedback');
    this.counts = db.collection<CountedFlushDoc>('feedback_counts');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ predictionTime: 1 }, { name: 'prediction_time' });
    await this.col.createIndex({ modelId: 1, version: 1 }, { name: 'model_version' });
    await this.counts.createIndex({ at: 1 }, { name: 'at' });
  }

  /**
   * Feedback for these request ids: one `_id` read each, POINT_READS at a time. FerretDB answers
   * `_id` equality from its index but scans the whole collection for `$in` (1,000 ids among
   * 20,000 documents: 4.2 s with `$in`, 0.6–1.1 s in reads of 64; `bench/feedback-lookup.ts`).
   * MongoDB answers both from the index; the reads cost it a few round trips more.
   */
  async findByRequestIds(ids: readonly string[]): Promise<FeedbackDoc[]> {
    const unique = [...new Set(ids)];
    const found: FeedbackDoc[] = [];
    for (let i = 0; i < unique.length; i += POINT_READS) {
      const wave = await Promise.all(unique.slice(i, i + POINT_READS).map((_id) => this.col.findOne({ _id })));
      for (const d of wave) if (d) found.push(d);
    }
    return found;
  }

  /** Inserts unordered; returns the request ids that already had feedback (inserted concurrently). */
  async insertNew(docs: readonly FeedbackDoc[]): Promise<{ duplicates: Set<string> }> {
    const duplicates = new Set<string>();
    if (docs.length === 0) return { duplicates };
    try {
      await this.col.insertMany(docs, { ordered: false });
    } catch (e) {
      const writeErrors = bulkWriteErrors(e);
      if (!writeErrors || writeErrors.some((w) => w.code !== 11000)) throw e;
      for (const w of writeErrors) duplicates.add(docs[w.index]._id);
    }
    return { duplicates };
  }

  /** Records that the submission with this flush id applied its increments (idempotent). */
  async markFlushCounted(flushId: string, at: Date): Promise<void> {
    try {
      await this.counts.insertOne({ _id: flushId, at });
    } catch (e) {
      if ((e as { code?: unknown }).code !== 11000) throw e;
    }
  }

  /** Which of these flush ids are recorded as counted (one `_id` read each: they are few). */
  async countedFlushes(flushIds: readonly string[]): Promise<Set<string>> {
    const found = await Promise.all([...new Set(flushIds)].map((_id) => this.counts.findOne({ _id }, { projection: { _id: 1 } })));
    return new Set(found.filter((d): d is CountedFlushDoc => d !== null).map((d) => d._id));
  }

  /** Records that these requests' increments were applied by a retried submission (rare). */
  async markCounted(ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    // One update per `_id` (see findByRequestIds: `$in` is a collection scan on FerretDB), in small commands.
    const ops = unique.map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { counted: true } } } }));
    // Setting a flag twice is harmless: what a failed command hides is simply sent again as is.
    const { errors } = await updateInSmallCommands(this.col, ops, STATEMENTS_PER_COMMAND, (i) => ops[i]);
    if (errors.length > 0) throw new Error(`marking feedback counted failed: ${errors[0].errmsg ?? errors[0].code}`);
  }

  /**
   * Deletes feedback for predictions older than `before`, and the counted-flush records from
   * before it (their submissions' feedback is at least as old: a prediction precedes its truth).
   */
  async deleteOlderThan(before: Date): Promise<number> {
    const r = await this.col.deleteMany({ predictionTime: { $lt: before } });
    await this.counts.deleteMany({ at: { $lt: before } });
    return r.deletedCount;
  }

  /** Deletes every feedback document of a model (purge); returns how many. */
  async deleteByModel(modelId: string): Promise<number> {
    return (await this.col.deleteMany({ modelId })).deletedCount;
  }

  /** Deletes the feedback of one request of a model (`_id` is the request id; batch rows `<id>:<n>` too); returns how many. */
  async deleteByRequest(modelId: string, requestId: string): Promise<number> {
    return (await this.col.deleteMany({ modelId, $or: [{ _id: requestId }, { _id: { $regex: `^${escapeRegex(requestId)}:` } }] })).deletedCount;
  }
}
