import { errors } from '../../domain/errors';
import type { Principal, Role } from '../../domain/permissions';
import type { ApiKeyRecord, ApiKeyRepository } from '../../infra/mongo/api-key-repository';
import { generateApiKey } from './api-key-codec';

/** Creating, listing and revoking API keys (permission apikeys:manage, Admin only). */
export class ApiKeyAdmin {
  constructor(
    private readonly deps: { apiKeys: ApiKeyRepository; now: () => Date; onRevoke: (keyId: string) => void },
  ) {}

  /** Returns the record and the plaintext key; the plaintext is never stored and cannot be shown again. */
  async create(input: { name: string; role: Role; expiresAt?: string }, creator: Principal): Promise<{ record: ApiKeyRecord; key: string }> {
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
    };
    await this.deps.apiKeys.insert(record);
    return { record, key: generated.plaintext };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.deps.apiKeys.list();
  }

  async revoke(keyId: string): Promise<void> {
    const record = await this.deps.apiKeys.revoke(keyId, this.deps.now());
    if (!record) throw errors.notFound('NOT_FOUND', `API key ${keyId}`);
    this.deps.onRevoke(keyId);
  }
}
