import type { Router } from 'express';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import { ApiKeyListSchema, ApiKeySchema, CreateApiKeySchema, CreatedApiKeySchema, KeyIdParamsSchema, UpdateApiKeySchema } from './auth-schemas';
import type { ApiKeyAdmin } from './api-key-admin';
import { toApiKeyDto } from './dto';
import { auditNote } from '../audit/audit-calls';

const BASE = '/api/v1';
const tags = ['API keys'];

/** API keys for applications: create (key shown once), list (no secrets), change the inference limit, revoke (permission apikeys:manage). */
export function apiKeyRoutes(router: Router, catalogue: RouteCatalogue, admin: ApiKeyAdmin): void {
  const view = (record: Parameters<typeof toApiKeyDto>[0]) => toApiKeyDto(record, admin.defaultInferenceRateLimitPerMin);

  catalogue.add(
    router, BASE, 'post', '/api-keys', 'apikeys:manage',
    {
      tags,
      summary: 'Create an API key',
      description:
        'The response holds the key (`hs_<id>_<secret>`) once; only a hash is stored. Send it as `X-API-Key: <key>` or `Authorization: ApiKey <key>`. ' +
        'Role defaults to Application. `inferenceRateLimitPerMin` (optional) sets the key\'s own inference limit; without it the key has RATE_LIMIT_API_KEY_INFERENCE_PER_MIN (60,000 by default). Limits count per api replica.',
      request: { body: jsonBody(CreateApiKeySchema) },
      responses: { 201: jsonBody(CreatedApiKeySchema, 'Created'), ...commonErrors },
    },
    async (req, res) => {
      const body = parseOrThrow(CreateApiKeySchema, req.body ?? {});
      const { record, key } = await admin.create(body, req.principal!);
      // The plaintext key must not linger in shared caches.
      res.setHeader('Cache-Control', 'no-store');
      // The key itself is never audited: the view holds no secret.
      auditNote(res, { target: { type: 'api-key', id: record._id }, after: view(record) });
      res.status(201).json({ ...view(record), key });
    },
  );

  catalogue.add(
    router, BASE, 'get', '/api-keys', 'apikeys:manage',
    { tags, summary: 'List API keys (without secrets)', responses: { 200: jsonBody(ApiKeyListSchema, 'API keys'), ...commonErrors } },
    async (_req, res) => {
      res.json({ apiKeys: (await admin.list()).map(view) });
    },
  );

  catalogue.add(
    router, BASE, 'patch', '/api-keys/:id', 'apikeys:manage',
    {
      tags,
      summary: "Change an API key's inference rate limit",
      description:
        '`inferenceRateLimitPerMin`: inference requests per minute (per api replica), or null for the default (RATE_LIMIT_API_KEY_INFERENCE_PER_MIN). ' +
        'Takes effect within GATEWAY_AUTH_CACHE_MS (2 s) on this api process and within about 12 s on the others; a minute already started keeps its count.',
      request: { params: KeyIdParamsSchema, body: jsonBody(UpdateApiKeySchema) },
      responses: { 200: jsonBody(ApiKeySchema, 'Updated'), ...commonErrors, 404: errorResponse('NOT_FOUND: no such API key') },
    },
    async (req, res) => {
      const { id } = parseOrThrow(KeyIdParamsSchema, req.params);
      const body = parseOrThrow(UpdateApiKeySchema, req.body ?? {});
      const after = view(await admin.setInferenceRateLimit(id, body.inferenceRateLimitPerMin));
      auditNote(res, { target: { type: 'api-key', id }, after });
      res.json(after);
    },
  );

  catalogue.add(
    router, BASE, 'delete', '/api-keys/:id', 'apikeys:manage',
    {
      tags,
      summary: 'Revoke an API key',
      description: 'The key stops working at once on this api process and within seconds on the others. Revoking twice is harmless.',
      request: { params: KeyIdParamsSchema },
      responses: { 204: { description: 'Revoked' }, ...commonErrors, 404: errorResponse('NOT_FOUND: no such API key') },
    },
    async (req, res) => {
      const { id } = parseOrThrow(KeyIdParamsSchema, req.params);
      await admin.revoke(id);
      res.status(204).end();
    },
  );
}
