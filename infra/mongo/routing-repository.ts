import type { Collection, Db } from 'mongodb';

/** A routing table for (model, environment): weighted version pools and an optional shadow. */
export interface RoutingTableDoc {
  _id: string; // `${modelId}:${environment}`
  schemaVersion: 1;
  modelId: string;
  modelName: string;
  environment: string;
  revision: number;
  pools: { versionId: string; version: string; weight: number }[];
  shadow?: { versionId: string; version: string; percentage: number } | null;
  updatedAt: Date;
}

export class RoutingRepository {
  private readonly col: Collection<RoutingTableDoc>;
  constructor(db: Db) {
    this.col = db.collection<RoutingTableDoc>('routing_tables');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ modelId: 1 }, { name: 'model' });
  }

  /** Version ids of a model that some route sends traffic to (weight > 0, or shadow > 0%). */
  async routedVersionIds(modelId: string): Promise<string[]> {
    const tables = await this.col.find({ modelId }).toArray();
    const ids = new Set<string>();
    for (const t of tables) {
      for (const p of t.pools) if (p.weight > 0) ids.add(p.versionId);
      if (t.shadow && t.shadow.percentage > 0) ids.add(t.shadow.versionId);
    }
    return [...ids];
  }
}
