import express from 'express';
import { AppError } from '../../domain/errors';
import { parseIsoDuration } from '../../domain/metrics';
import { z } from '../openapi/zod';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import type { PredictionReadService } from '../prediction-log/prediction-read-service';

const BASE = '/api/v1/models';

const isoTime = (what: string) =>
  z
    .string()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date-time, e.g. 2026-11-28T10:00:00Z')
    .optional()
    .openapi({ description: what });

const ListQuerySchema = z.strictObject({
  version: z.string().min(1).max(100).openapi({ description: 'Semantic version, version id or alias' }),
  environment: z.string().min(1).max(64).default('Production').openapi({ description: 'Development, Staging or Production (any case)' }),
  role: z.string().min(1).max(20).optional().openapi({ description: 'primary, canary, challenger or shadow; omitted → every role' }),
  status: z.enum(['Completed', 'Failed']).optional(),
  window: z.string().max(40).default('PT1H').openapi({ description: 'ISO-8601 duration ending at `to` (default now), e.g. PT5M, PT1H; ignored when `from` is given' }),
  from: isoTime('Start of the window (inclusive)'),
  to: isoTime('End of the window (exclusive; default now)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: 'Most predictions returned, newest first (1–1000)' }),
});

const LoggedPredictionSchema = z
  .object({
    requestId: z.string(),
    time: z.string().openapi({ description: 'When the request reached the gateway' }),
    version: z.string(),
    versionId: z.string(),
    environment: z.string(),
    role: z.enum(['primary', 'canary', 'challenger', 'shadow']),
    status: z.enum(['Completed', 'Failed']),
    errorCode: z.string().optional(),
    features: z.unknown(),
    outputs: z.unknown().openapi({ description: 'The prediction as returned to the caller (null when it failed)' }),
    latencyMs: z.number().nullable(),
    cached: z.boolean(),
    traceId: z.string().optional(),
    serverId: z.string().optional(),
    primaryRequestId: z.string().optional().openapi({ description: 'Shadow copies: the request they mirror' }),
  })
  .openapi('LoggedPrediction');

export function predictionLogRoutes(service: PredictionReadService) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const mount = express.Router();
    mount.use('/models', r);
    catalogue.add(
      r,
      BASE,
      'get',
      '/:id/predictions',
      'metrics:read',
      {
        summary: 'Logged predictions of one version, newest first',
        tags: ['Metrics'],
        description:
          'Reads the prediction log (every prediction the gateways served, shadow copies included) for one version in one environment over a window: ' +
          'features, outputs, latency, status and trace id of each. The log keeps PREDICTION_RETENTION_DAYS; a window may span at most METRICS_MAX_WINDOW_DAYS. ' +
          'Entries reach the log within PREDICTION_LOG_FLUSH_MS (200 ms by default) of being served.',
        request: { params: z.object({ id: z.string().openapi({ description: 'Model id or name' }) }), query: ListQuerySchema },
        responses: {
          200: jsonBody(
            z.object({ modelId: z.string(), modelName: z.string(), version: z.string(), versionId: z.string(), environment: z.string(), from: z.string(), to: z.string(), predictions: z.array(LoggedPredictionSchema) }).openapi('LoggedPredictionList'),
          ),
          ...commonErrors,
          404: errorResponse('MODEL_NOT_FOUND / VERSION_NOT_FOUND'),
        },
      },
      async (req, res) => {
        const q = parseOrThrow(ListQuerySchema, req.query, 'query');
        const to = q.to !== undefined ? new Date(q.to) : new Date();
        let from: Date;
        if (q.from !== undefined) from = new Date(q.from);
        else {
          const w = parseIsoDuration(q.window);
          if (!w.ok) throw AppError.validation('query.window', w.reason);
          from = new Date(to.getTime() - w.seconds * 1000);
        }
        res.json(await service.list(String(req.params.id), { version: q.version, environment: q.environment, role: q.role, status: q.status, from, to, limit: q.limit }));
      },
    );
    catalogue.add(
      r,
      BASE,
      'get',
      '/:id/predictions/:requestId',
      'metrics:read',
      {
        summary: 'One logged prediction by request id, with its shadow copy',
        tags: ['Metrics'],
        description: 'The entry the gateway logged for this request id (batch rows: `<requestId>:<index>`), and the shadow copy mirrored from it, if any.',
        request: { params: z.object({ id: z.string().openapi({ description: 'Model id or name' }), requestId: z.string().min(1).max(200) }) },
        responses: {
          200: jsonBody(z.object({ modelId: z.string(), modelName: z.string(), prediction: LoggedPredictionSchema, shadows: z.array(LoggedPredictionSchema) }).openapi('LoggedPredictionDetail')),
          ...commonErrors,
          404: errorResponse('MODEL_NOT_FOUND / NOT_FOUND (no such request id in the log)'),
        },
      },
      async (req, res) => {
        const requestId = String(req.params.requestId);
        if (requestId.length > 200) throw AppError.validation('path.requestId', 'must be at most 200 characters');
        res.json(await service.byRequestId(String(req.params.id), requestId));
      },
    );
    return mount;
  };
}
