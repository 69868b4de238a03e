import express from 'express';
import { z } from '../openapi/zod';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import type { FeedbackItem, FeedbackService } from '../prediction-log/feedback-service';

const BASE = '/api/v1/inference';

const LabelSchema = z.union([z.string().min(1).max(200), z.number().finite()]);

const FeedbackItemSchema = z
  .strictObject({
    requestId: z.string().min(1).max(200).openapi({ description: 'The requestId the inference response carried (batch rows: `<requestId>:<index>`)' }),
    label: LabelSchema.optional().openapi({ description: "Classification: the true class (one of the version's classes)" }),
    value: z.number().finite().optional().openapi({ description: 'Regression: the true value' }),
  })
  .superRefine((item, ctx) => {
    if ((item.label === undefined) === (item.value === undefined))
      ctx.addIssue({ code: 'custom', path: ['label'], message: 'send exactly one of "label" (classification) or "value" (regression)' });
  })
  .openapi('FeedbackItem');

const feedbackBatchSchema = (maxItems: number) =>
  z.strictObject({ feedback: z.array(FeedbackItemSchema).min(1).max(maxItems) }).openapi('FeedbackBatch');

const FeedbackResponseSchema = z
  .object({
    modelId: z.string(),
    modelName: z.string(),
    recorded: z.number().int().openapi({ description: 'Items stored and counted now' }),
    duplicates: z.number().int().openapi({ description: 'Items whose request already had this same ground truth (idempotent)' }),
    results: z.array(
      z.object({
        requestId: z.string(),
        status: z.enum(['Recorded', 'Duplicate']),
        version: z.string(),
        environment: z.string(),
        role: z.string(),
        correct: z.boolean().optional(),
        error: z.number().optional().openapi({ description: 'Regression: prediction − truth' }),
        shadowsCounted: z.number().int(),
      }),
    ),
  })
  .openapi('FeedbackResponse');

export function feedbackRoutes(service: FeedbackService, maxItems: number) {
  const BatchSchema = feedbackBatchSchema(maxItems);
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const mount = express.Router();
    mount.use('/inference', r);
    catalogue.add(
      r,
      BASE,
      'post',
      '/:modelName/feedback',
      'inference:feedback',
      {
        summary: 'Report ground truth for predictions',
        tags: ['Inference'],
        description:
          'Body: `{"feedback": [{"requestId", "label" | "value"}, ...]}` or a single `{"requestId", "label" | "value"}`. ' +
          'Each request id must name a completed prediction of this model. Validation is all-or-nothing: unknown ids → 404 NOT_FOUND, ' +
          'a label outside the version\'s classes (or the wrong kind of truth) → 400 VALIDATION_ERROR, with one detail per item. ' +
          'A request keeps its first ground truth: the same again is idempotent ("Duplicate"), a different one → 409 CONFLICT. ' +
          'Accepted truth counts toward accuracy (MAE/RMSE for regression) of the version that served the request, in the time bucket of the prediction.',
        request: {
          params: z.object({ modelName: z.string().openapi({ description: 'Model name or id' }) }),
          body: jsonBody(z.union([BatchSchema, FeedbackItemSchema])),
        },
        responses: {
          200: jsonBody(FeedbackResponseSchema, 'Stored and counted'),
          ...commonErrors,
          404: errorResponse('MODEL_NOT_FOUND, or NOT_FOUND with one detail per unknown request id'),
          409: errorResponse('CONFLICT: a request already has a different ground truth'),
        },
      },
      async (req, res) => {
        const body: unknown = req.body ?? {};
        const items: FeedbackItem[] =
          typeof body === 'object' && body !== null && 'feedback' in body
            ? parseOrThrow(BatchSchema, body).feedback
            : [parseOrThrow(FeedbackItemSchema, body)];
        res.json(await service.submit(String(req.params.modelName), items, req.principal!));
      },
    );
    return mount;
  };
}
