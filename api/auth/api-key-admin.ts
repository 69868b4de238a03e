import { errors } from '../../domain/errors';
import type { Principal, Role } from '../../domain/permissions';
import type { ApiKeyRecord, ApiKeyRepository } from '../../infra/mongo/api-key-repository';
import { generateApiKey } from './api-key-codec';

/** Creating, listing, changing and revoking API keys (permission apikeys:manage, Admin only). */
export class ApiKeyAdmin {
  readonly defaultInferenceRateLimitPerMin: number;

  constructor(
    private readonly deps: {
      apiKeys: ApiKeyRepository;
      now: () => Date;
      /** A key was revoked or changed: drop it from this process's caches. */
      onChange: (keyId: string) => void;
      /** RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: the limit of keys without their own. */
      defaultInferenceRateLimitPerMin: number;
    },
  ) {
    this.defaultInferenceRateLimitPerMin = deps.defaultInferenceRateLimitPerMin;
  }

  /** Returns the record and the plaintext key; the plaintext is never stored and cannot be shown again. */
  async create(input: { name: string; role: Role; expiresAt?: string; inferenceRateLimitPerMin?: number }, creator: Principal): Promise<{ record: ApiKeyRecord; key: string }> {
    const now = this.deps.now();
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw errors.validation([{ field: 'expiresAt', message: 'must be in the future' }]);
    const generated = generateApiKey();
    const record: ApiKeyRecord = {
      _id: generated.keyId,
      schemaVersion: 1,
      name: input.name,
      role: input.role,
      secretHash: generated.secretHash,
      createdAt: now,
      createdBy: creator.id,
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      inferenceRateLimitPerMin: input.inferenceRateLimitPerMin ?? null,
    };
    await this.deps.apiKeys.insert(record);
    return { record, key: generated.plaintext };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.deps.apiKeys.list();
  }

  /**
   * Sets the key's own inference limit (null: back to the default). The gateway sees it once its
   * caches let go of the key: within GATEWAY_AUTH_CACHE_MS (2 s) on this api process, about 12 s
   * on the others (api-key-authenticator.ts keeps a key 10 s).
   */
  async setInferenceRateLimit(keyId: string, perMinute: number | null): Promise<ApiKeyRecord> {
    const record = await this.deps.apiKeys.setInferenceRateLimit(keyId, perMinute);
    if (!record) throw errors.notFound('NOT_FOUND', `API key ${keyId}`);
    this.deps.onChange(keyId);
    return record;
  }

  async revoke(keyId: string): Promise<void> {
    const record = await this.deps.apiKeys.revoke(keyId, this.deps.now());
    if (!record) throw errors.notFound('NOT_FOUND', `API key ${keyId}`);
    this.deps.onChange(keyId);
  }
}
