import express from 'express';
import { z } from '../openapi/zod';
import { POOL_ROLES } from '../../domain/routing/routing-rules';
import { ENVIRONMENTS } from '../../domain/routing/environments';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import type { RoutingAdminService } from '../gateway/routing-admin-service';
import { auditNote } from '../audit/audit-calls';

const BASE = '/api/v1/routing';

const Params = z.object({
  modelName: z.string().openapi({ description: 'Model name or id' }),
  environment: z.string().openapi({ description: `One of ${ENVIRONMENTS.join(', ')} (case-insensitive)` }),
});

const PoolSchema = z
  .object({
    version: z.string().min(1).max(200).openapi({ description: 'Semantic version or version id', example: '2.0.0' }),
    weight: z.number().int().min(0).max(100).openapi({ description: 'Percent of traffic; all weights sum to 100' }),
    role: z.enum(POOL_ROLES).optional().openapi({ description: 'primary (default), canary or challenger' }),
  })
  .strict();

export const RoutingBodySchema = z
  .object({
    pools: z.array(PoolSchema).min(1).max(20),
    shadow: z
      .object({ version: z.string().min(1).max(200), percentage: z.number().min(0).max(100).openapi({ description: 'Percent of requests mirrored (fractions allowed)' }) })
      .strict()
      .nullable()
      .optional(),
    sticky: z
      .object({ header: z.string().min(1).max(64).openapi({ description: 'Request header whose value keeps a caller on one version', example: 'x-user-id' }) })
      .strict()
      .nullable()
      .optional(),
    cache: z
      .object({
        enabled: z.boolean(),
        ttlSeconds: z.number().int().min(1).max(86_400).optional().openapi({ description: 'Default 60' }),
        maxEntries: z.number().int().min(1).max(1_000_000).optional().openapi({ description: 'Default 10000' }),
      })
      .strict()
      .nullable()
      .optional()
      .openapi({ description: 'Prediction cache of the model in this environment; omitted keeps the current settings, null turns it off' }),
    expectedRevision: z.number().int().min(0).optional().openapi({ description: 'Refuse with 409 unless the table is still at this revision (0: it must not exist yet)' }),
  })
  .strict()
  .openapi('RoutingTableInput');

const RoutingViewSchema = z
  .object({
    modelId: z.string(),
    modelName: z.string(),
    environment: z.string(),
    revision: z.number().int(),
    pools: z.array(z.object({ version: z.string(), versionId: z.string(), weight: z.number().int(), role: z.enum(POOL_ROLES) })),
    shadow: z.object({ version: z.string(), versionId: z.string(), percentage: z.number() }).nullable(),
    sticky: z.object({ header: z.string() }).nullable(),
    cache: z.object({ enabled: z.boolean(), ttlSeconds: z.number().int(), maxEntries: z.number().int() }).nullable(),
    updatedAt: z.string(),
    updatedBy: z.string().nullable(),
  })
  .openapi('RoutingTable');

const HistoryQuery = z.strictObject({ at: z.iso.datetime({ offset: true }).openapi({ description: 'ISO 8601 time', example: '2026-12-01T10:00:00Z' }) });

/** Admin routes of the routing tables: read one, replace one (revision bumped; gateways apply it within a second). */
export function routingRoutes(service: RoutingAdminService) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const add = catalogue.add.bind(catalogue, r, BASE);
    const mount = express.Router();
    mount.use('/routing', r);

    add('get', '/:modelName/:environment', 'models:read', {
      summary: 'Get the routing table of a model in an environment',
      tags: ['Routing'],
      request: { params: Params },
      responses: { 200: jsonBody(RoutingViewSchema), ...commonErrors, 404: errorResponse('MODEL_NOT_FOUND / NOT_FOUND') },
    }, async (req, res) => {
      res.json(await service.get(String(req.params.modelName), String(req.params.environment)));
    });

    add('put', '/:modelName/:environment', 'routes:write', {
      summary: 'Replace the routing table of a model in an environment',
      description:
        'Weighted version pools (integer weights summing to 100), an optional shadow target, an optional sticky header for A/B tests, and the prediction-cache settings. Every version receiving traffic must be loaded Ready on a live model server (else 409). The response carries the new revision; poll GET until gateways report it, or use the deployment workflows, which wait for every gateway.',
      tags: ['Routing'],
      request: { params: Params, body: jsonBody(RoutingBodySchema) },
      responses: { 200: jsonBody(RoutingViewSchema), ...commonErrors, 404: errorResponse('MODEL_NOT_FOUND / VERSION_NOT_FOUND'), 409: errorResponse('CONFLICT: version not Ready anywhere, or revision changed') },
    }, async (req, res) => {
      const body = parseOrThrow(RoutingBodySchema, req.body ?? {});
      const { view, previous } = await service.put(String(req.params.modelName), String(req.params.environment), body, req.principal!);
      auditNote(res, { target: { type: 'routing', id: `${view.modelId}:${view.environment}` }, before: previous, after: view });
      res.json(view);
    });

    add('get', '/:modelName/:environment/history', 'models:read', {
      summary: 'The routing table in force at a time: which versions served, with which weights',
      description: 'The revision accepted last before or at `at`, with the time it took over (`inForceFrom`) and the time the next revision did (`inForceUntil`, null while it is still in force). Revisions are kept forever.',
      tags: ['Routing'],
      request: { params: Params, query: HistoryQuery },
      responses: {
        200: jsonBody(RoutingViewSchema.extend({ inForceFrom: z.string(), inForceUntil: z.string().nullable() }).openapi('RoutingRevisionAt')),
        ...commonErrors,
        404: errorResponse('MODEL_NOT_FOUND / NOT_FOUND (no revision at that time)'),
      },
    }, async (req, res) => {
      const q = parseOrThrow(HistoryQuery, req.query, 'query');
      res.json(await service.at(String(req.params.modelName), String(req.params.environment), new Date(q.at)));
    });

    return mount;
  };
}
