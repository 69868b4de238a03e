import type { Collection, Db } from 'mongodb';
import type { ServingHold } from '../../domain/serving/desired-state';

/** One hold per (holder, version, server): `_id` makes writing it again a no-op. */
interface HoldDoc extends ServingHold {
  _id: string;
  schemaVersion: 1;
  at: Date;
  /** Holds not tied to a deployment lapse at this time. */
  expiresAt?: Date;
}

/** A hold as stored: the domain's statement, and when a hold not tied to a deployment lapses. */
export type StoredHold = ServingHold & { expiresAt?: Date };

const holdId = (h: Pick<ServingHold, 'holder' | 'versionId' | 'server'>) => `${h.holder}|${h.versionId}|${h.server}`;
const OPPOSITE = { keep: 'exclude', exclude: 'keep' } as const;

/**
 * `serving_holds`: what running deployments say about single servers (they warmed a version
 * there, or unloaded it on purpose). Part of the desired state the model servers reconcile to;
 * holds of finished deployments are ignored by readers and deleted with `forget`.
 */
export class ServingHoldRepository {
  private readonly col: Collection<HoldDoc>;
  constructor(db: Db) {
    this.col = db.collection<HoldDoc>('serving_holds');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ holder: 1 }, { name: 'holder' });
  }

  /**
   * Records `kind` for the version on each server ('*' = every server), replacing the holder's
   * opposite statement about the same servers (and about '*'). Idempotent.
   */
  async put(hold: Omit<ServingHold, 'server' | 'kind'>, kind: ServingHold['kind'], servers: readonly string[], opts: { now?: Date; expiresAt?: Date } = {}): Promise<void> {
    await this.col.deleteMany({ holder: hold.holder, versionId: hold.versionId, kind: OPPOSITE[kind], server: { $in: [...servers, '*'] } });
    for (const server of servers) {
      const h: ServingHold = { ...hold, server, kind };
      await this.col.replaceOne({ _id: holdId(h) }, { ...h, schemaVersion: 1, at: opts.now ?? new Date(), ...(opts.expiresAt && { expiresAt: opts.expiresAt }) }, { upsert: true });
    }
  }

  /** Every hold (the collection holds a few documents per running deployment). */
  async all(): Promise<StoredHold[]> {
    const docs = await this.col.find({}).toArray();
    return docs.map(({ _id: _i, schemaVersion: _s, at: _a, ...h }) => h);
  }

  /** Deletes the holder's holds of one version (all of its holds when versionId is omitted). */
  async release(holder: string, versionId?: string): Promise<void> {
    await this.col.deleteMany({ holder, ...(versionId !== undefined && { versionId }) });
  }
}
