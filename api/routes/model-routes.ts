import express, { type Request, type Response } from 'express';
import { z } from '../openapi/zod';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { readMultipartUpload } from '../http/multipart-upload';
import type { AuthModule } from '../app';
import type { ArtifactSource, ModelRegistryService } from '../services/model-registry-service';
import {
  AliasNameSchema,
  CreateVersionBodySchema,
  DeleteModelQuerySchema,
  ListModelsQuerySchema,
  ModelSummarySchema,
  PatchModelBodySchema,
  PatchVersionBodySchema,
  RegisterModelBodySchema,
  RegisterModelResponseSchema,
  SchemaProposalSchema,
  SetAliasBodySchema,
  VersionSchema,
} from '../schemas/model-schemas';
import { modelView, versionView } from './model-views';
import { commonErrors, errorResponse, jsonBody } from '../openapi/common-schemas';
import { auditNote } from '../audit/audit-calls';

const BASE = '/api/v1/models';
const IdParams = z.object({ id: z.string().openapi({ description: 'Model id or name' }) });
const VersionParams = IdParams.extend({ version: z.string().openapi({ description: 'Semantic version, version id, or alias' }) });
const AliasParams = IdParams.extend({ alias: z.string() });
const notFound = { 404: errorResponse('MODEL_NOT_FOUND / VERSION_NOT_FOUND') };
const conflict = { 409: errorResponse('CONFLICT') };
const multipartBody = {
  description: 'JSON body, or multipart/form-data with a "metadata" part (the same JSON) followed by an "artifact" file part (streamed; SHA-256 computed and checked against "checksum" when given).',
};

/**
 * Reads the registration input: a JSON body (artifact referenced by artifactPath), or a
 * multipart upload whose metadata is validated before the artifact is streamed to the store.
 */
async function readRegistration<S extends z.ZodType>(req: Request, schema: S, maxBodyBytes: number): Promise<{ body: z.infer<S>; source: ArtifactSource; abandon: () => void }> {
  if (req.is('multipart/form-data')) {
    const upload = await readMultipartUpload(req, maxBodyBytes);
    try {
      return { body: parseOrThrow(schema, upload.metadata, 'metadata'), source: { kind: 'upload', stream: upload.artifact }, abandon: upload.abandon };
    } catch (e) {
      upload.artifact.resume();
      upload.abandon();
      throw e;
    }
  }
  return { body: parseOrThrow(schema, req.body ?? {}), source: { kind: 'reference' }, abandon: () => undefined };
}

export function modelRoutes(registry: ModelRegistryService, auth: AuthModule, maxBodyBytes: number) {
  return (catalogue: RouteCatalogue) => {
    const r = express.Router();
    const add = catalogue.add.bind(catalogue, r, BASE);
    const mount = express.Router();
    mount.use('/models', r);

    add('post', '/', 'models:write', {
      summary: 'Register a model, optionally with its first version',
      tags: ['Models'],
      description: multipartBody.description,
      request: { body: jsonBody(RegisterModelBodySchema) },
      responses: { 201: jsonBody(RegisterModelResponseSchema, 'Registered'), ...commonErrors, ...conflict },
    }, auth.limit('register'), async (req: Request, res: Response) => {
      const { body, source, abandon } = await readRegistration(req, RegisterModelBodySchema, maxBodyBytes);
      try {
        const { model, version } = await registry.registerModel(body, req.principal!, source);
        res.status(201).location(`${BASE}/${model.modelId}`).json({
          modelId: model.modelId,
          name: model.name,
          ...(version && { version: version.version, versionId: version.versionId, checksum: version.checksum, artifactPath: version.artifactPath }),
          status: version?.status ?? 'Registered',
          createdAt: model.createdAt.toISOString(),
        });
      } catch (e) {
        abandon();
        throw e;
      }
    });

    add('get', '/', 'models:read', {
      summary: 'List models',
      tags: ['Models'],
      request: { query: ListModelsQuerySchema },
      responses: { 200: jsonBody(z.object({ models: z.array(ModelSummarySchema), total: z.number(), limit: z.number(), offset: z.number() })), ...commonErrors },
    }, async (req, res) => {
      const q = parseOrThrow(ListModelsQuerySchema, req.query, 'query');
      const sortField = q.sort.replace(/^-/, '') as 'name' | 'createdAt' | 'updatedAt';
      const { models, total } = await registry.listModels({
        ...(q.framework && { framework: q.framework }),
        ...(q.type && { type: q.type }),
        ...(q.tag && { tag: q.tag }),
        ...(q.owner && { owner: q.owner }),
        ...(q.search && { search: q.search }),
        includeArchived: q.includeArchived === 'true',
        sort: { field: sortField, direction: q.sort.startsWith('-') ? -1 : 1 },
        limit: q.limit,
        offset: q.offset,
      });
      res.json({ models: models.map(modelView), total, limit: q.limit, offset: q.offset });
    });

    add('get', '/:id', 'models:read', {
      summary: 'Get a model by id or name',
      tags: ['Models'],
      request: { params: IdParams },
      responses: { 200: jsonBody(ModelSummarySchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      res.json(modelView(await registry.getModel(String(req.params.id))));
    });

    add('patch', '/:id', 'models:write', {
      summary: 'Update model metadata',
      tags: ['Models'],
      request: { params: IdParams, body: jsonBody(PatchModelBodySchema) },
      responses: { 200: jsonBody(ModelSummarySchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      const body = parseOrThrow(PatchModelBodySchema, req.body ?? {});
      res.json(modelView(await registry.patchModel(String(req.params.id), body)));
    });

    add('delete', '/:id', 'models:delete', {
      summary: 'Archive a model, or purge it with its versions and artifacts (?purge=true)',
      tags: ['Models'],
      request: { params: IdParams, query: DeleteModelQuerySchema },
      description:
        'A purge deletes the versions, their artifacts and sample sets, and the request data of the model: logged predictions, feedback, metric buckets and async requests (`deleted` counts them). Its audit records and routing revisions stay. An interrupted purge is finished by repeating it.',
      responses: {
        200: jsonBody(z.object({ modelId: z.string(), purged: z.boolean(), deleted: z.object({ predictions: z.number(), feedback: z.number(), metricBuckets: z.number(), asyncRequests: z.number() }).optional() })),
        ...commonErrors,
        ...notFound,
        ...conflict,
      },
    }, async (req, res) => {
      const q = parseOrThrow(DeleteModelQuerySchema, req.query, 'query');
      const result = await registry.deleteModel(String(req.params.id), q.purge === 'true', req.principal!);
      auditNote(res, { target: { type: 'model', id: result.modelId }, after: result });
      res.json(result);
    });

    add('get', '/:id/versions', 'models:read', {
      summary: "List a model's versions",
      tags: ['Models'],
      request: { params: IdParams },
      responses: { 200: jsonBody(z.object({ modelId: z.string(), versions: z.array(VersionSchema) })), ...commonErrors, ...notFound },
    }, async (req, res) => {
      const { model, versions } = await registry.listVersions(String(req.params.id));
      res.json({ modelId: model.modelId, name: model.name, versions: versions.map((v) => versionView(v, model)) });
    });

    add('post', '/:id/versions', 'models:write', {
      summary: 'Add a version (artifact uploaded or referenced)',
      tags: ['Models'],
      description: multipartBody.description,
      request: { params: IdParams, body: jsonBody(CreateVersionBodySchema) },
      responses: { 201: jsonBody(VersionSchema), ...commonErrors, ...notFound, ...conflict },
    }, auth.limit('register'), async (req, res) => {
      const { body, source, abandon } = await readRegistration(req, CreateVersionBodySchema, maxBodyBytes);
      try {
        const version = await registry.addVersion(String(req.params.id), body, req.principal!, source);
        res.status(201).location(`${BASE}/${version.modelId}/versions/${version.version}`).json(versionView(version));
      } catch (e) {
        abandon();
        throw e;
      }
    });

    add('get', '/:id/versions/:version', 'models:read', {
      summary: 'Get a version by semantic version, id or alias',
      tags: ['Models'],
      request: { params: VersionParams },
      responses: { 200: jsonBody(VersionSchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      const { model, version } = await registry.getVersion(String(req.params.id), String(req.params.version));
      res.json(versionView(version, model));
    });

    add('get', '/:id/versions/:version/schema-proposal', 'models:read', {
      summary: "A feature schema derived from the version's ONNX graph",
      tags: ['Models'],
      description:
        'For a graph with one input, FP32 [batch, D] (D number features) or BYTES [batch, 1] (one string feature), and a probabilities or value output: '
        + 'an inputSchema and outputSchema to register a version with the JSON features API (classes are column indexes: rename them). '
        + 'Otherwise both are null and reasons say why; such a model is served over /v2 only.',
      request: { params: VersionParams },
      responses: { 200: jsonBody(SchemaProposalSchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      res.json(await registry.proposeSchema(String(req.params.id), String(req.params.version)));
    });

    add('patch', '/:id/versions/:version', 'models:write', {
      summary: 'Move a version through its status lifecycle, or update its model card / baseline',
      tags: ['Models'],
      request: { params: VersionParams, body: jsonBody(PatchVersionBodySchema) },
      responses: { 200: jsonBody(VersionSchema), ...commonErrors, ...notFound, ...conflict },
    }, async (req, res) => {
      const body = parseOrThrow(PatchVersionBodySchema, req.body ?? {});
      res.json(versionView(await registry.patchVersion(String(req.params.id), String(req.params.version), body, req.principal!)));
    });

    add('put', '/:id/aliases/:alias', 'models:write', {
      summary: 'Point an alias (e.g. champion) at a version, atomically',
      tags: ['Models'],
      request: { params: AliasParams, body: jsonBody(SetAliasBodySchema) },
      responses: { 200: jsonBody(ModelSummarySchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      const alias = parseOrThrow(AliasNameSchema, req.params.alias, 'alias');
      const body = parseOrThrow(SetAliasBodySchema, req.body ?? {});
      res.json(modelView(await registry.setAlias(String(req.params.id), alias, body.version)));
    });

    add('delete', '/:id/aliases/:alias', 'models:write', {
      summary: 'Remove an alias',
      tags: ['Models'],
      request: { params: AliasParams },
      responses: { 200: jsonBody(ModelSummarySchema), ...commonErrors, ...notFound },
    }, async (req, res) => {
      const alias = parseOrThrow(AliasNameSchema, req.params.alias, 'alias');
      res.json(modelView(await registry.setAlias(String(req.params.id), alias, null)));
    });

    return mount;
  };
}
