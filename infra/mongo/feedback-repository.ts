import type { Collection, Db } from 'mongodb';
import type { PredictionRole } from '../../domain/metrics';
import { bulkWriteErrors } from './db-errors';

/** Most ids looked up (or marked counted) with one `_id` query each rather than one `$in`. */
const POINT_READS = 64;

/**
 * Ground truth in `feedback`: one document per labelled request (`_id` = request id, so a
 * request has at most one truth), with what it was compared against. `counted` turns true once
 * its metric-bucket increments were applied; a retried submission applies the ones whose
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
  counted: boolean;
}

export class FeedbackRepository {
  readonly col: Collection<FeedbackDoc>;
  constructor(db: Db) {
    this.col = db.collection<FeedbackDoc>('feedback');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ predictionTime: 1 }, { name: 'prediction_time' });
    await this.col.createIndex({ modelId: 1, version: 1 }, { name: 'model_version' });
  }

  /**
   * Feedback for these request ids. Up to POINT_READS ids are read one `_id` at a time, in
   * parallel: FerretDB answers `_id` equality from its index but scans the whole collection
   * for `$in`; larger batches use `$in` (one round trip, indexed on MongoDB).
   */
  async findByRequestIds(ids: readonly string[]): Promise<FeedbackDoc[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    if (unique.length <= POINT_READS) return (await Promise.all(unique.map((_id) => this.col.findOne({ _id })))).filter((d): d is FeedbackDoc => d !== null);
    return this.col.find({ _id: { $in: unique } }).toArray();
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

  /** Records that these requests' metric-bucket increments were applied. */
  async markCounted(ids: readonly string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    // One update per `_id` (see findByRequestIds: `$in` is a collection scan on FerretDB).
    if (unique.length <= POINT_READS) await this.col.bulkWrite(unique.map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { counted: true } } } })), { ordered: false });
    else await this.col.updateMany({ _id: { $in: unique } }, { $set: { counted: true } });
  }

  async deleteOlderThan(before: Date): Promise<number> {
    const r = await this.col.deleteMany({ predictionTime: { $lt: before } });
    return r.deletedCount;
  }
}
