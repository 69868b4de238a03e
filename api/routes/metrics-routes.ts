import express from 'express';
import { z } from '../openapi/zod';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import type { MetricsService } from '../prediction-log/metrics-service';

const BASE = '/api/v1/models';

const MetricsQuerySchema = z.strictObject({
  window: z.string().max(40).default('PT1H').openapi({ description: 'ISO-8601 duration ending now, e.g. PT5M, PT1H, P1D (years/months not accepted; at most METRICS_MAX_WINDOW_DAYS, default P7D)' }),
  version: z.string().min(1).max(100).optional().openapi({ description: 'Semantic version, version id or alias; omitted → the model overall plus one entry per version' }),
  environment: z.string().min(1).max(64).optional().openapi({ description: 'Only this environment: Development, Staging or Production (any case); omitted → all environments' }),
});

const nullableNumber = () => z.number().nullable();
const FairnessSchema = z
  .array(
    z.object({
      attribute: z.string(),
      groups: z.array(
        z.object({
          value: z.string().openapi({ description: 'The feature value (strings as they are, others as JSON; "(missing)", and "(other)" past 50 values)' }),
          count: z.number().int().openapi({ description: 'Predictions of the group with feedback' }),
          accuracy: nullableNumber(),
          positiveRate: nullableNumber().openapi({ description: 'Binary classifiers: predictions of the last class / count' }),
          mae: nullableNumber(),
        }),
      ),
      accuracyGap: nullableNumber().openapi({ description: 'Best minus worst group accuracy' }),
      positiveRateGap: nullableNumber().openapi({ description: 'Highest minus lowest positive rate (demographic-parity difference)' }),
      maeGap: nullableNumber(),
    }),
  )
  .openapi('FairnessMetrics', { description: 'Per-group metrics from feedback for each of the version\'s sensitiveAttributes' });
const MetricsSchema = z
  .object({
    totalRequests: z.number().int(),
    successfulInferences: z.number().int(),
    failedInferences: z.number().int(),
    serverErrors: z.number().int(),
    clientErrors: z.number().int(),
    errorRate: nullableNumber().openapi({ description: 'serverErrors / totalRequests' }),
    cachedResponses: z.number().int(),
    avgLatencyMs: nullableNumber(),
    p50LatencyMs: nullableNumber(),
    p95LatencyMs: nullableNumber(),
    p99LatencyMs: nullableNumber(),
    latencyStdDevMs: nullableNumber(),
    minLatencyMs: nullableNumber(),
    maxLatencyMs: nullableNumber(),
    throughputRps: z.number(),
    accuracy: nullableNumber().openapi({ description: 'Classification: correct / labelled; null without feedback' }),
    labelledCount: z.number().int(),
    mae: nullableNumber().openapi({ description: 'Regression: mean absolute error; null without feedback' }),
    rmse: nullableNumber().openapi({ description: 'Regression: root mean squared error; null without feedback' }),
    shadowAgreement: nullableNumber().openapi({ description: 'Shadow predictions with the same label as the primary / compared' }),
    shadowCompared: z.number().int(),
    driftScore: z.null(),
    fairness: FairnessSchema.optional(),
  })
  .openapi('ModelMetrics');

const ResponseSchema = z
  .object({
    modelId: z.string(),
    modelName: z.string(),
    version: z.string().nullable(),
    environment: z.string().nullable(),
    window: z.string(),
    from: z.string(),
    to: z.string(),
    metrics: MetricsSchema,
    versions: z.array(z.object({ version: z.string(), versionId: z.string(), roles: z.array(z.string()), metrics: MetricsSchema })).optional(),
    timestamp: z.string(),
  })
  .openapi('ModelMetricsResponse');

export function metricsRoutes(service: MetricsService) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const mount = express.Router();
    mount.use('/models', r);
    catalogue.add(
      r,
      BASE,
      'get',
      '/:id/metrics',
      'metrics:read',
      {
        summary: 'Metrics of a model (or one version) over a recent window',
        tags: ['Metrics'],
        description:
          'Summed from the 10-second metric buckets every api process writes (so several gateway replicas add up). ' +
          'Latency covers successful predictions; percentiles come from a fixed-bucket histogram (bounds 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000 ms), ' +
          'interpolated linearly within the bucket holding the exact percentile: the error is at most that bucket\'s width. ' +
          'Without `version`, `metrics` covers traffic served to callers (shadow copies excluded) and `versions` lists each version (shadow traffic included for a shadow version). ' +
          'The window is [now − window, now] at 10-second resolution; throughputRps = totalRequests / window seconds.',
        request: { params: z.object({ id: z.string().openapi({ description: 'Model id or name' }) }), query: MetricsQuerySchema },
        responses: { 200: jsonBody(ResponseSchema), ...commonErrors, 404: errorResponse('MODEL_NOT_FOUND / VERSION_NOT_FOUND') },
      },
      async (req, res) => {
        const q = parseOrThrow(MetricsQuerySchema, req.query, 'query');
        res.json(await service.modelMetrics(String(req.params.id), q));
      },
    );
    return mount;
  };
}
