import express from 'express';
import { z } from '../openapi/zod';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import type { RouteCatalogue } from '../http/route-catalogue';

/**
 * OpenAPI entries for the inference paths. They are served by the lean gateway in front of
 * Express (api/gateway/gateway.ts), not by Express routes, so they are documented here.
 */
const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];
const ModelParam = z.object({ modelName: z.string().openapi({ example: 'fraud-detection' }) });
const Query = z.object({
  mode: z.enum(['sync', 'async']).optional().openapi({ description: 'async → 202 with a status URL' }),
  explain: z.enum(['true', 'false']).optional().openapi({ description: 'true (single, synchronous requests of tabular versions): add KernelSHAP attributions (README "Explanations and fairness")' }),
  environment: z.string().optional().openapi({ description: 'Development, Staging or Production (default); or header X-HotSwap-Environment' }),
});
const features = z.record(z.string(), z.unknown()).openapi({ example: { transaction_amount: 1500, merchant_category: 'retail', user_age_days: 365, transaction_hour: 14, is_international: false } });
const Single = z.object({ features, version: z.string().optional().openapi({ description: 'Pin a version instead of following the routing table' }) });
const Batch = z.object({ instances: z.array(features), version: z.string().optional() });
const SingleAnswer = z
  .object({
    requestId: z.string(),
    modelName: z.string(),
    version: z.string(),
    prediction: z.unknown(),
    confidence: z.number().nullable(),
    latencyMs: z.number(),
    timestamp: z.string(),
    cached: z.boolean().optional().openapi({ description: 'true when answered from the prediction cache (header X-Cache: HIT)' }),
    explanation: z
      .object({
        method: z.literal('kernel-shap'),
        exact: z.boolean().openapi({ description: 'every coalition evaluated (exact Shapley values); false: sampled estimate' }),
        output: z.string().openapi({ description: '"probability:<predicted class>" or "value" (regression)' }),
        baseValue: z.number().openapi({ description: 'mean output over the background rows' }),
        value: z.number().openapi({ description: 'the explained output; baseValue + Σ attributions = value' }),
        attributions: z.record(z.string(), z.number()),
        samples: z.number().int().openapi({ description: 'coalitions evaluated' }),
        background: z.number().int().openapi({ description: "background rows (from the version's sample set)" }),
        modelRows: z.number().int().openapi({ description: 'rows of the one batch call to the model server' }),
        latencyMs: z.number(),
      })
      .optional()
      .openapi({ description: 'With ?explain=true: per-feature KernelSHAP attributions' }),
  })
  .openapi('InferenceResponse');
const BatchAnswer = z
  .object({ requestId: z.string(), modelName: z.string(), version: z.string(), predictions: z.array(z.unknown()), confidences: z.array(z.number().nullable()), totalLatencyMs: z.number(), timestamp: z.string() })
  .openapi('BatchInferenceResponse');
const Accepted = z.object({ requestId: z.string(), status: z.literal('Pending'), statusUrl: z.string() }).openapi('AsyncAccepted');
const Status = z
  .object({
    requestId: z.string(),
    status: z.enum(['Pending', 'Processing', 'Completed', 'Failed']),
    modelName: z.string(),
    environment: z.string(),
    attempts: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().optional(),
    expiresAt: z.string().optional().openapi({ description: 'When the request and its result are deleted (ASYNC_RETENTION_HOURS after acceptance)' }),
    result: z.unknown().optional(),
    error: z.unknown().optional(),
  })
  .openapi('AsyncStatus');
const errors = { ...commonErrors, 404: errorResponse('MODEL_NOT_FOUND / VERSION_NOT_FOUND'), 503: errorResponse('SERVICE_UNAVAILABLE (no route, or no model server can serve the version)') };

export function inferenceDocs() {
  return (catalogue: RouteCatalogue) => {
    catalogue.document('post', '/api/v1/inference/{modelName}', {
      tags: ['Inference'],
      summary: 'Run inference',
      description:
        'Routed by the routing table of (model, environment) unless `version` pins one. Requires permission `inference:run`; ' +
        "rate-limited per caller and api replica: an API key's own limit, else RATE_LIMIT_API_KEY_INFERENCE_PER_MIN (keys) or RATE_LIMIT_INFERENCE_PER_MIN (users); 429 with Retry-After.",
      security,
      request: { params: ModelParam, query: Query, body: jsonBody(Single) },
      responses: { 200: jsonBody(SingleAnswer), 202: jsonBody(Accepted, 'Accepted (mode=async)'), ...errors },
    });
    catalogue.document('post', '/api/v1/inference/{modelName}/batch', {
      tags: ['Inference'],
      summary: 'Batch inference',
      description: 'At most GATEWAY_MAX_BATCH_SIZE instances (default 1000); more → 400.',
      security,
      request: { params: ModelParam, query: Query, body: jsonBody(Batch) },
      responses: { 200: jsonBody(BatchAnswer), 202: jsonBody(Accepted, 'Accepted (mode=async)'), ...errors },
    });
    catalogue.document('get', '/api/v1/inference/{requestId}/status', {
      tags: ['Inference'],
      summary: 'Status and result of an async inference request',
      security,
      request: { params: z.object({ requestId: z.string() }) },
      responses: { 200: jsonBody(Status), 401: commonErrors[401], 404: errorResponse('NOT_FOUND') },
    });
    return express.Router();
  };
}
