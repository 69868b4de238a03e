import type { Collection, Db } from 'mongodb';
import type { Role } from '../../domain/permissions';

/** An application's API key. Only a hash of the secret is stored; the plaintext is shown once. */
export interface ApiKeyRecord {
  _id: string; // the key id, also visible inside the key: hs_<id>_<secret>
  schemaVersion: 1;
  name: string;
  role: Role;
  secretHash: string; // hex sha256 of the secret part (see api/auth/api-key-codec.ts for why sha256)
  createdAt: Date;
  createdBy: string; // principal id of the creator
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** The key's own inference limit per minute; null or absent (keys made before it existed): the default. */
  inferenceRateLimitPerMin?: number | null;
}

export class ApiKeyRepository {
  private readonly col: Collection<ApiKeyRecord>;
  constructor(db: Db) {
    this.col = db.collection<ApiKeyRecord>('api_keys');
  }

  async ensureIndexes(): Promise<void> {
    // Look-ups are by _id (the key id); the list is sorted by creation time.
    await this.col.createIndex({ createdAt: -1 }, { name: 'created_at' });
  }

  async insert(key: ApiKeyRecord): Promise<void> {
    await this.col.insertOne(key);
  }

  findById(id: string): Promise<ApiKeyRecord | null> {
    return this.col.findOne({ _id: id });
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.col.find({}).sort({ createdAt: -1, _id: 1 }).toArray();
  }

  /** Marks the key revoked (keeping the first revocation time); null when it does not exist. */
  async revoke(id: string, at: Date): Promise<ApiKeyRecord | null> {
    await this.col.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at } });
    return this.findById(id);
  }

  /** Sets the key's own inference limit (null: back to the default); null when the key does not exist. */
  async setInferenceRateLimit(id: string, perMinute: number | null): Promise<ApiKeyRecord | null> {
    await this.col.updateOne({ _id: id }, { $set: { inferenceRateLimitPerMin: perMinute } });
    return this.findById(id);
  }

  /**
   * Records use, but only when the stored lastUsedAt is older than `minIntervalMs`: the filter
   * makes every replica skip the write inside the interval, so hot keys cost no write per call.
   */
  async touch(id: string, at: Date, minIntervalMs: number): Promise<void> {
    const before = new Date(at.getTime() - minIntervalMs);
    await this.col.updateOne({ _id: id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: before } }] }, { $set: { lastUsedAt: at } });
  }
}
