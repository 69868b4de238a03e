import type { z } from 'zod';
import type { ApiKeyRecord } from '../../infra/mongo/api-key-repository';
import type { UserRecord } from '../../infra/mongo/user-repository';
import type { ApiKeySchema, UserSchema } from './auth-schemas';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The public view of a user: never the password hash. */
export function toUserDto(u: UserRecord): z.infer<typeof UserSchema> {
  return {
    id: u._id,
    username: u.username,
    role: u.role,
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    lastLoginAt: iso(u.lastLoginAt),
  };
}

/** The public view of an API key: never the secret or its hash. `defaultLimit`: RATE_LIMIT_API_KEY_INFERENCE_PER_MIN. */
export function toApiKeyDto(k: ApiKeyRecord, defaultLimit: number): z.infer<typeof ApiKeySchema> {
  const own = typeof k.inferenceRateLimitPerMin === 'number' ? k.inferenceRateLimitPerMin : null;
  return {
    id: k._id,
    name: k.name,
    role: k.role,
    createdAt: k.createdAt.toISOString(),
    createdBy: k.createdBy,
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    lastUsedAt: iso(k.lastUsedAt),
    inferenceRateLimitPerMin: own ?? defaultLimit,
    inferenceRateLimitSource: own === null ? 'default' : 'key',
  };
}
