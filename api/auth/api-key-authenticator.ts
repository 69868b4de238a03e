import { AppError } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import type { ApiKeyRecord, ApiKeyRepository } from '../../infra/mongo/api-key-repository';
import type { Logger } from '../../infra/telemetry/logger';
import { parseApiKey, secretMatches } from './api-key-codec';
import { TtlCache } from './ttl-cache';

/**
 * How long another replica may keep honouring a key revoked elsewhere. Revocation in this
 * process takes effect at once (forget()); across replicas within this bound.
 */
const CACHE_TTL_MS = 10_000;
/** lastUsedAt is informational: one write per key per minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;

const invalid = () => new AppError('UNAUTHORIZED', 'API key is invalid');

export class ApiKeyAuthenticator {
  private readonly cache: TtlCache<ApiKeyRecord>;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly now: () => Date,
    private readonly log: Logger,
  ) {
    this.cache = new TtlCache(CACHE_TTL_MS, now);
  }

  async authenticate(key: string): Promise<Principal> {
    const parsed = parseApiKey(key);
    if (!parsed) throw invalid();
    let record = this.cache.get(parsed.keyId);
    if (!record) {
      record = (await this.repo.findById(parsed.keyId)) ?? undefined;
      if (!record) throw invalid();
      this.cache.set(record._id, record);
    }
    // Same message for unknown id and wrong secret; revoked/expired are only told to a holder of the secret.
    if (!secretMatches(parsed.secret, record.secretHash)) throw invalid();
    const now = this.now();
    if (record.revokedAt) throw new AppError('UNAUTHORIZED', 'API key has been revoked');
    if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) throw new AppError('UNAUTHORIZED', 'API key has expired');
    this.touch(record._id, now);
    const principal: Principal = { id: `apikey:${record._id}`, username: `apikey:${record.name}`, role: record.role, via: 'api-key' };
    if (typeof record.inferenceRateLimitPerMin === 'number') principal.inferenceRateLimitPerMin = record.inferenceRateLimitPerMin;
    return principal;
  }

  /** Drops a key from this process's cache (after a revocation or a change). */
  forget(keyId: string): void {
    this.cache.delete(keyId);
  }

  private touch(keyId: string, now: Date): void {
    const last = this.lastTouched.get(keyId);
    if (last !== undefined && now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(keyId, now.getTime());
    // Not awaited: a bookkeeping write must not add latency to (or fail) the caller's request.
    this.repo.touch(keyId, now, TOUCH_INTERVAL_MS).catch((err: unknown) => this.log.warn({ err, keyId }, 'could not record API key use'));
  }
}
