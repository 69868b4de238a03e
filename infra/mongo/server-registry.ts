import type { ErrorCode } from '../../domain/errors';
import type { Collection, Db } from 'mongodb';

/** A model-server process as it last reported itself (one document per server, upserted by heartbeat). */
export interface ServerRecord {
  _id: string; // server id, e.g. "server-1"
  schemaVersion: 1;
  url: string;
  loaded: { modelName: string; version: string; versionId: string; state: string; memoryBytes?: number }[];
  health: 'healthy' | 'degraded' | 'draining';
  /** The pool the server serves (MODEL_SERVER_POOL); absent on documents of older servers: the default pool. */
  pool?: string;
  /** Memory the server may give to loaded versions (MODEL_SERVER_MEMORY_BUDGET_MB). */
  memoryBudgetBytes?: number;
  /** Versions the desired state wants here that the server could not load, and why (e.g. over the memory budget). */
  refused?: { versionId: string; modelName: string; code: ErrorCode; reason: string }[];
  startedAt: Date;
  heartbeatAt: Date;
}

export class ServerRegistry {
  private readonly col: Collection<ServerRecord>;
  constructor(db: Db) {
    this.col = db.collection<ServerRecord>('model_servers');
  }

  async heartbeat(record: Omit<ServerRecord, 'schemaVersion' | 'heartbeatAt'>, now = new Date()): Promise<void> {
    await this.col.updateOne({ _id: record._id }, { $set: { ...record, schemaVersion: 1, heartbeatAt: now } }, { upsert: true });
  }

  async remove(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }

  /** Servers that heartbeated within `timeoutMs`: the rest are out of rotation. */
  async live(timeoutMs: number, now = new Date()): Promise<ServerRecord[]> {
    return this.col.find({ heartbeatAt: { $gte: new Date(now.getTime() - timeoutMs) } }).sort({ _id: 1 }).toArray();
  }

  async all(): Promise<ServerRecord[]> {
    return this.col.find({}).sort({ _id: 1 }).toArray();
  }
}
