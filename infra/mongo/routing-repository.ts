import type { Collection, Db } from 'mongodb';
import type { CacheSettings, PoolRole, RoutingRules, ShadowTarget, StickyRule } from '../../domain/routing/routing-rules';
import { versionsWithTraffic } from '../../domain/serving/desired-state';
import { isDuplicateKeyError } from './client';

/**
 * A routing table for (model, environment): weighted version pools, an optional shadow, an
 * optional sticky-key rule and the opt-in prediction cache settings. `revision` grows by one
 * with every change; gateways report the revision they serve.
 */
export interface RoutingTableDoc {
  _id: string; // `${modelId}:${environment}`
  schemaVersion: 1;
  modelId: string;
  modelName: string;
  environment: string;
  revision: number;
  /** `role` is absent on documents written before roles existed: read it as 'primary'. */
  pools: { versionId: string; version: string; weight: number; role?: PoolRole }[];
  shadow?: ShadowTarget | null;
  sticky?: StickyRule | null;
  cache?: CacheSettings | null;
  updatedAt: Date;
  updatedBy?: string;
}

/** One accepted revision of a table, kept forever: the change history, and the write lock (below). */
interface RevisionDoc extends Omit<RoutingTableDoc, '_id'> {
  _id: string; // `${tableId}@${revision}`
  tableId: string;
}

export type TableWrite = Pick<RoutingTableDoc, 'modelId' | 'modelName' | 'environment'> & RoutingRules & { updatedBy: string };

export const routingTableId = (modelId: string, environment: string) => `${modelId}:${environment}`;

/** How long a claimed revision may stay unapplied before another writer finishes applying it. */
const STALLED_REVISION_MS = 5_000;

export class RoutingRepository {
  private readonly col: Collection<RoutingTableDoc>;
  private readonly revisions: Collection<RevisionDoc>;
  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.col = db.collection<RoutingTableDoc>('routing_tables');
    this.revisions = db.collection<RevisionDoc>('routing_revisions');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ modelId: 1 }, { name: 'model' });
    await this.revisions.createIndex({ tableId: 1, revision: -1 }, { name: 'table_revision' });
  }

  async get(modelId: string, environment: string): Promise<RoutingTableDoc | null> {
    return this.col.findOne({ _id: routingTableId(modelId, environment) });
  }

  /** Every table (the gateways poll this: a few small documents per model). */
  async all(): Promise<RoutingTableDoc[]> {
    return this.col.find({}).toArray();
  }

  /**
   * One revision of a table's ledger, read by _id. On FerretDB a filter on any other field reads
   * the whole ledger (every table's revisions), so hot paths walk the ledger with this.
   */
  async revisionNumbered(modelId: string, environment: string, revision: number): Promise<RoutingTableDoc | null> {
    const tableId = routingTableId(modelId, environment);
    const doc = await this.revisions.findOne({ _id: `${tableId}@${revision}` });
    if (!doc) return null;
    const { tableId: _table, ...rest } = doc;
    return { ...rest, _id: tableId };
  }

  /** The accepted revisions of a table, newest first. */
  async history(modelId: string, environment: string, limit = 50): Promise<RoutingTableDoc[]> {
    const docs = await this.revisions.find({ tableId: routingTableId(modelId, environment) }).sort({ revision: -1 }).limit(limit).toArray();
    return docs.map(({ tableId, ...rest }) => ({ ...rest, _id: tableId }));
  }

  /**
   * The revision in force at `at` (the newest accepted before or at it) and when the next one
   * took over (null: still in force); null when the table had no revision yet. "Accepted" is
   * the revision's claim in the ledger; gateways apply it within about a second of that.
   */
  async revisionAt(modelId: string, environment: string, at: Date): Promise<{ table: RoutingTableDoc; until: Date | null } | null> {
    const tableId = routingTableId(modelId, environment);
    const found = await this.revisions.find({ tableId, updatedAt: { $lte: at } }).sort({ revision: -1 }).limit(1).next();
    if (!found) return null;
    const next = await this.revisions.find({ tableId, revision: { $gt: found.revision } }).sort({ revision: 1 }).limit(1).next();
    const { tableId: _t, ...rest } = found;
    return { table: { ...rest, _id: tableId }, until: next?.updatedAt ?? null };
  }

  /**
   * Replaces a table's rules if its revision is still `expectedRevision` (0: the table must not
   * exist yet), writing revision expectedRevision + 1. Returns the new document, or null when
   * another writer got there first (re-read and decide again).
   *
   * Why a ledger insert and not a conditional update: on FerretDB a conditional updateOne or
   * findOneAndUpdate is not atomic under concurrency (measured: 20 parallel updates filtered on
   * the same revision → up to 10 "winners"), while inserting a duplicate _id always fails. So
   * the unique `${tableId}@${revision}` document in routing_revisions decides which writer owns
   * the next revision; only the owner then writes the table. A writer that dies between the two
   * writes leaves a claimed but unapplied revision, which the next writer applies for it (the
   * ledger holds the full table) before trying its own change.
   */
  async replace(write: TableWrite, expectedRevision: number): Promise<RoutingTableDoc | null> {
    const tableId = routingTableId(write.modelId, write.environment);
    const current = await this.col.findOne({ _id: tableId });
    if ((current?.revision ?? 0) !== expectedRevision) return null;
    const revision = expectedRevision + 1;
    const doc: RoutingTableDoc = {
      _id: tableId,
      schemaVersion: 1,
      modelId: write.modelId,
      modelName: write.modelName,
      environment: write.environment,
      revision,
      pools: write.pools.map((p) => ({ versionId: p.versionId, version: p.version, weight: p.weight, role: p.role })),
      shadow: write.shadow,
      sticky: write.sticky,
      cache: write.cache,
      updatedAt: this.now(),
      updatedBy: write.updatedBy,
    };
    try {
      await this.revisions.insertOne({ ...doc, _id: `${tableId}@${revision}`, tableId });
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      await this.applyStalled(tableId, revision);
      return null;
    }
    await this.apply(doc);
    return doc;
  }

  /** Writes an owned revision to the table document (idempotent: the same content for the same revision). */
  private async apply(doc: RoutingTableDoc): Promise<void> {
    if (doc.revision === 1) {
      try {
        await this.col.insertOne(doc);
        return;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
      }
    }
    await this.col.updateOne({ _id: doc._id, revision: { $lt: doc.revision } }, { $set: doc });
    await this.heal(doc._id);
  }

  /**
   * Puts the table back on the newest claimed revision when it fell behind it. On FerretDB a
   * conditional update is not atomic, so an older revision's write (a slow or timed-out writer)
   * racing a newer one can land last and move traffic back; every writer checks after its own
   * write, so the last one to finish repairs it. Claims only grow, so the newest claim is the
   * intended state (applying it before its own writer does writes the same content).
   */
  private async heal(tableId: string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const [current, newest] = await Promise.all([this.col.findOne({ _id: tableId }), this.revisions.find({ tableId }).sort({ revision: -1 }).limit(1).next()]);
      if (!newest || (current?.revision ?? 0) >= newest.revision) return;
      const { tableId: _t, ...rest } = newest;
      await this.col.updateOne({ _id: tableId, revision: { $lt: newest.revision } }, { $set: { ...rest, _id: tableId } });
    }
  }

  /**
   * Makes sure the table holds at least `revision`, applying this writer's own claimed revision
   * when an earlier attempt claimed it and died (or timed out) before applying it. Idempotent;
   * returns the table's revision afterwards.
   */
  async ensureApplied(modelId: string, environment: string, revision: number): Promise<number> {
    const tableId = routingTableId(modelId, environment);
    const current = await this.col.findOne({ _id: tableId });
    const claimed = (current?.revision ?? 0) < revision ? await this.revisions.findOne({ _id: `${tableId}@${revision}` }) : null;
    if (claimed) {
      const { tableId: _t, ...rest } = claimed;
      await this.apply({ ...rest, _id: tableId });
    } else await this.heal(tableId);
    return (await this.col.findOne({ _id: tableId }))?.revision ?? 0;
  }

  /** Applies a revision another writer claimed but never applied (it crashed, or is very slow). */
  private async applyStalled(tableId: string, revision: number): Promise<void> {
    const claimed = await this.revisions.findOne({ _id: `${tableId}@${revision}` });
    if (!claimed || this.now().getTime() - claimed.updatedAt.getTime() < STALLED_REVISION_MS) return;
    const current = await this.col.findOne({ _id: tableId });
    if ((current?.revision ?? 0) >= revision) return;
    const { tableId: _t, ...rest } = claimed;
    await this.apply({ ...rest, _id: tableId });
  }

  /** Version ids of a model that some route sends traffic to (weight > 0, or shadow > 0%). */
  async routedVersionIds(modelId: string): Promise<string[]> {
    const tables = await this.col.find({ modelId }).toArray();
    return [...new Set(tables.flatMap(versionsWithTraffic))];
  }

  /** Environments whose route sends traffic to this version (weight > 0, or shadow > 0%), with each table's revision. */
  async routesTo(modelId: string, versionId: string): Promise<{ environment: string; revision: number }[]> {
    const tables = await this.col.find({ modelId }).toArray();
    return tables
      .filter((t) => versionsWithTraffic(t).includes(versionId))
      .map((t) => ({ environment: t.environment, revision: t.revision }));
  }
}
