import express from 'express';
import { z } from '../openapi/zod';
import { AppError, errors } from '../../domain/errors';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { RouteCatalogue } from '../http/route-catalogue';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import { auditNote } from '../audit/audit-calls';
import type { DataDeletionService } from '../services/data-deletion-service';

const BASE = '/api/v1/models';

const DeletedSchema = z
  .object({
    modelId: z.string(),
    requestId: z.string(),
    deleted: z.object({ predictions: z.number().int(), feedback: z.number().int(), metricBuckets: z.number().int(), asyncRequests: z.number().int() }),
  })
  .openapi('RequestDataDeleted');

/** DELETE /api/v1/models/{id}/predictions/{requestId}: erase one request's data (GDPR). */
export function dataDeletionRoutes(service: DataDeletionService, models: ModelRepository) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const add = catalogue.add.bind(catalogue, r, BASE);
    const mount = express.Router();
    mount.use('/models', r);
    add('delete', '/:id/predictions/:requestId', 'models:delete', {
      summary: "Delete one request's data: its logged predictions, feedback and async request",
      description:
        'Deletes the prediction log entries of the request id (batch rows `<requestId>:<n>` and shadow copies included), its feedback and its async request, when they belong to this model. ' +
        'Metric buckets hold only counts and stay; the audit trail records the deletion. Idempotent: repeating it deletes nothing more and answers zeros.',
      tags: ['Models'],
      request: { params: z.object({ id: z.string().openapi({ description: 'Model id or name' }), requestId: z.string().min(1).max(200) }) },
      responses: { 200: jsonBody(DeletedSchema), ...commonErrors, 404: errorResponse('MODEL_NOT_FOUND') },
    }, async (req, res) => {
      const requestId = String(req.params.requestId);
      if (requestId.length > 200) throw AppError.validation('path.requestId', 'must be at most 200 characters');
      const model = await models.findByIdOrName(String(req.params.id));
      if (!model) throw errors.notFound('MODEL_NOT_FOUND', String(req.params.id));
      const deleted = await service.deleteRequest({ modelId: model.modelId, name: model.name }, requestId);
      auditNote(res, { target: { type: 'request', id: requestId }, after: { deleted }, details: { modelId: model.modelId, modelName: model.name } });
      res.json({ modelId: model.modelId, requestId, deleted });
    });
    return mount;
  };
}
