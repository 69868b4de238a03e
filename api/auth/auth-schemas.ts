import { z } from '../openapi/zod';
import { ROLES } from '../../domain/permissions';

/** Request and response shapes of the auth routes: validated by the handlers, documented in OpenAPI. */

const RoleSchema = z.enum(ROLES).openapi('Role');
const Timestamp = z.iso.datetime().openapi({ example: '2025-11-24T12:00:00.000Z' });

// Usernames are often e-mail addresses; no spaces or control characters.
const Username = z.string().regex(/^[A-Za-z0-9._@+-]{3,128}$/, 'expected 3-128 letters, digits or . _ @ + -');
// Upper bound keeps one request from buying seconds of argon2 work.
const NewPassword = z.string().min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters');

export const LoginRequestSchema = z
  .strictObject({
    username: z.string().min(1).max(256),
    password: z.string().min(1).max(256),
  })
  .openapi('LoginRequest', { example: { username: 'mluser@example.com', password: 'SecurePass123!' } });

export const LoginResponseSchema = z
  .object({
    token: z.string(),
    expiresAt: Timestamp,
    user: z.object({ username: z.string(), role: RoleSchema }),
  })
  .openapi('LoginResponse');

/** An API key's inference limit; the upper bound is ≈ 167,000 req/s, beyond any one api replica. */
export const MAX_INFERENCE_RATE_LIMIT_PER_MIN = 10_000_000;
const InferenceRateLimit = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_INFERENCE_RATE_LIMIT_PER_MIN, `must be at most ${MAX_INFERENCE_RATE_LIMIT_PER_MIN}`)
  .openapi({ description: 'Inference requests per minute, per api replica', example: 60000 });

export const PrincipalSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    role: RoleSchema,
    via: z.enum(['password', 'oidc', 'api-key']),
    inferenceRateLimitPerMin: z.number().int().optional().openapi({ description: "An API key's own inference limit (absent: the default)" }),
  })
  .openapi('Principal');

export const UserSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    role: RoleSchema,
    disabled: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastLoginAt: Timestamp.nullable(),
  })
  .openapi('User');

export const UserListSchema = z.object({ users: z.array(UserSchema) }).openapi('UserList');

export const CreateUserSchema = z
  .strictObject({ username: Username, password: NewPassword, role: RoleSchema })
  .openapi('CreateUserRequest');

export const UpdateUserSchema = z
  .strictObject({ role: RoleSchema.optional(), disabled: z.boolean().optional(), password: NewPassword.optional() })
  .refine((v) => v.role !== undefined || v.disabled !== undefined || v.password !== undefined, { message: 'expected at least one of role, disabled, password' })
  .openapi('UpdateUserRequest');

export const IdParamsSchema = z.strictObject({ id: z.uuid() });
export const KeyIdParamsSchema = z.strictObject({ id: z.string().regex(/^[0-9a-f]{24}$/, 'expected a 24-character API key id') });

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    createdAt: Timestamp,
    createdBy: z.string(),
    expiresAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
    inferenceRateLimitPerMin: z.number().int().openapi({ description: 'The inference limit that applies to the key (per minute, per api replica)', example: 60000 }),
    inferenceRateLimitSource: z.enum(['key', 'default']).openapi({ description: 'key: set on the key; default: RATE_LIMIT_API_KEY_INFERENCE_PER_MIN' }),
  })
  .openapi('ApiKey');

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The API key. Shown only in this response: store it now.', example: 'hs_0123456789abcdef01234567_...' }),
}).openapi('CreatedApiKey');

export const ApiKeyListSchema = z.object({ apiKeys: z.array(ApiKeySchema) }).openapi('ApiKeyList');

export const CreateApiKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    role: RoleSchema.default('Application'),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    inferenceRateLimitPerMin: InferenceRateLimit.optional(),
  })
  .openapi('CreateApiKeyRequest');

export const UpdateApiKeySchema = z
  .strictObject({
    inferenceRateLimitPerMin: InferenceRateLimit.nullable().openapi({ description: 'Inference requests per minute, per api replica; null: back to the default' }),
  })
  .openapi('UpdateApiKeyRequest', { example: { inferenceRateLimitPerMin: 120000 } });
