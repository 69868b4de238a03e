import type { Collection, Document } from 'mongodb';

const NOT_IMPLEMENTED = 238;
const CANNOT_CREATE_INDEX = 67;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;

/**
 * Creates a TTL index on `field` (MongoDB then deletes expired documents itself), updating its
 * expiry in place when it changed. A server without TTL support (FerretDB answers "not
 * implemented") gets a plain index on the field instead, so a periodic sweep can delete by it.
 * Returns whether the server enforces the TTL.
 */
export async function ensureTtlIndex<T extends Document>(col: Collection<T>, field: string, name: string, expireAfterSeconds: number): Promise<{ ttl: boolean }> {
  try {
    await col.createIndex({ [field]: 1 }, { name, expireAfterSeconds });
    return { ttl: true };
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === INDEX_OPTIONS_CONFLICT || code === INDEX_KEY_SPECS_CONFLICT) {
      try {
        await col.db.command({ collMod: col.collectionName, index: { name, expireAfterSeconds } });
        return { ttl: true };
      } catch {
        return { ttl: false };
      }
    }
    if (code !== NOT_IMPLEMENTED && code !== CANNOT_CREATE_INDEX) throw e;
    await col.createIndex({ [field]: 1 }, { name: field });
    return { ttl: false };
  }
}
