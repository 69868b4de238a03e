import type { Collection, Db } from 'mongodb';

/** The routing revision a gateway serves for one table. */
export interface AppliedRevision {
  modelId: string;
  environment: string;
  revision: number;
}

/** An inference gateway (one per api process) as it last reported itself. */
export interface GatewayRecord {
  _id: string; // gateway id
  schemaVersion: 1;
  host: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
  applied: AppliedRevision[];
}

export interface RevisionWait {
  /** True when every live gateway serves `revision` or newer (vacuously true with no live gateway). */
  reached: boolean;
  /** Live gateways seen at the last check. */
  gateways: number;
  /** Live gateways still behind at the last check (revision 0: the table is unknown to them). */
  lagging: { gatewayId: string; revision: number }[];
  waitedMs: number;
}

/** A gateway silent this long is presumed dead and not waited for. */
export const DEFAULT_GATEWAY_LIVE_WITHIN_MS = 5_000;
const POLL_MS = 50;

/**
 * The `gateways` collection: each api process upserts its id and the routing revisions it has
 * applied (a heartbeat), so that a deployment step can wait until traffic has really moved.
 * One writer per document, so no concurrency control is needed.
 */
export class GatewayRegistry {
  private readonly col: Collection<GatewayRecord>;
  constructor(
    db: Db,
    private readonly opts: { liveWithinMs?: number; now?: () => Date } = {},
  ) {
    this.col = db.collection<GatewayRecord>('gateways');
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  async heartbeat(record: Omit<GatewayRecord, 'schemaVersion' | 'heartbeatAt'>): Promise<void> {
    await this.col.updateOne({ _id: record._id }, { $set: { ...record, schemaVersion: 1, heartbeatAt: this.now() } }, { upsert: true });
  }

  async remove(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }

  /** Gateways that reported within the live window. */
  async live(): Promise<GatewayRecord[]> {
    const since = new Date(this.now().getTime() - (this.opts.liveWithinMs ?? DEFAULT_GATEWAY_LIVE_WITHIN_MS));
    return this.col.find({ heartbeatAt: { $gte: since } }).sort({ _id: 1 }).toArray();
  }

  /** Where every live gateway stands on one table's revision. */
  async check(modelId: string, environment: string, revision: number): Promise<Omit<RevisionWait, 'waitedMs'>> {
    const gateways = await this.live();
    const lagging: RevisionWait['lagging'] = [];
    for (const g of gateways) {
      const served = g.applied.find((a) => a.modelId === modelId && a.environment === environment)?.revision ?? 0;
      if (served < revision) lagging.push({ gatewayId: g._id, revision: served });
    }
    return { reached: lagging.length === 0, gateways: gateways.length, lagging };
  }

  /**
   * Waits until every live gateway reports serving `revision` (or newer) of the routing table
   * of (modelId, environment), polling every 50 ms, for at most `timeoutMs`. Resolves either
   * way: `reached` says whether traffic really moved, `lagging` names the gateways that did
   * not (a deployment step retries or fails on that). Gateways that stopped heartbeating
   * drop out of the wait after the live window.
   */
  async waitForRevision(modelId: string, environment: string, revision: number, timeoutMs: number): Promise<RevisionWait> {
    const t0 = Date.now();
    for (;;) {
      const state = await this.check(modelId, environment, revision);
      const waitedMs = Date.now() - t0;
      if (state.reached || waitedMs >= timeoutMs) return { ...state, waitedMs };
      await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, timeoutMs - waitedMs))));
    }
  }
}

/** Function form of GatewayRegistry.waitForRevision, for callers holding only a Db. */
export function waitForRevision(db: Db, modelId: string, environment: string, revision: number, timeoutMs: number): Promise<RevisionWait> {
  return new GatewayRegistry(db).waitForRevision(modelId, environment, revision, timeoutMs);
}
