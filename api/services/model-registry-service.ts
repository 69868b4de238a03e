import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, errors, type ErrorDetail } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import { artifactKeyFor, sampleSetKeys, type Model, type ModelVersion } from '../../domain/models/model';
import { checkObjectSchema } from '../../domain/models/json-schema-check';
import { InvalidModelError, type ModelGraph } from '../../domain/models/graph';
import { featureSchemaProblems, proposeFeatureSchema, schemaGraphProblems, type SchemaProposal } from '../../domain/feature-schema';
import { readModelGraphFrom } from '../../infra/onnx/read-graph';
import { canTransition } from '../../domain/models/version-lifecycle';
import type { VersionStatus } from '../../domain/models/enums';
import type { ArtifactStore } from '../../infra/artifact-store/artifact-store';
import type { ModelRepository, ModelQuery } from '../../infra/mongo/model-repository';
import type { VersionRepository } from '../../infra/mongo/version-repository';
import type { RoutingRepository } from '../../infra/mongo/routing-repository';
import type { CreateVersionBody, RegisterModelBody } from '../schemas/model-schemas';
import { withSpan } from '../../infra/telemetry/tracing';
import { artifactKeyProblem } from '../../infra/artifact-store/artifact-key';
import type { DeletedCounts, ModelRef } from './data-deletion-service';

/**
 * Where a new version's artifact comes from: streamed in the request, or already in the store.
 * An upload the service rejects early is left unread; the route abandons it.
 */
export type ArtifactSource = { kind: 'upload'; stream: Readable } | { kind: 'reference' };

export interface RegistryDeps {
  models: ModelRepository;
  versions: VersionRepository;
  routing: RoutingRepository;
  artifacts: ArtifactStore;
  maxArtifactBytes: number;
  /** Deletes the model's request data (predictions, feedback, metric buckets, async requests) on purge. */
  purgeData: (model: ModelRef) => Promise<DeletedCounts>;
  now?: () => Date;
}

interface StoredArtifact {
  key: string;
  checksum: string;
  sizeBytes: number;
  /** True when this request stored it, so a failed registration must delete it again. */
  ownedByRequest: boolean;
  graph: ModelGraph;
}

/**
 * The model registry (FR-ML-001). No multi-document transactions: each write is one atomic
 * document update, ordered so that a failure leaves nothing half-registered (artifacts are
 * verified before any document is written; a model created together with its first version is
 * removed again if the version cannot be written).
 */
export class ModelRegistryService {
  private readonly now: () => Date;
  constructor(private readonly deps: RegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async registerModel(body: RegisterModelBody, principal: Principal, source: ArtifactSource): Promise<{ model: Model; version?: ModelVersion }> {
    return withSpan('model.register', { 'model.name': body.name, 'model.version': body.version ?? '' }, async () => {
      if (body.version === undefined && source.kind === 'upload') throw AppError.validation('version', 'is required when uploading an artifact');
      if (await this.deps.models.findByIdOrName(body.name))
        throw errors.conflict(`Model ${body.name} already exists`, [{ field: 'name', message: 'is already registered' }]);

      const now = this.now();
      const model: Model = {
        modelId: randomUUID(),
        name: body.name,
        ...(body.description !== undefined && { description: body.description }),
        framework: body.framework,
        type: body.type,
        owner: body.owner ?? principal.username,
        tags: [...new Set(body.tags)],
        activeVersion: null,
        aliases: {},
        isArchived: false,
        createdAt: now,
        updatedAt: now,
        createdBy: principal.username,
      };
      if (body.version === undefined) {
        await this.deps.models.insert(model);
        return { model };
      }
      const versionBody: CreateVersionBody = { ...body, version: body.version };
      const versionId = randomUUID();
      const artifact = await this.storeCheckedArtifact(model.name, versionBody, versionId, source);
      try {
        await this.deps.models.insert(model);
      } catch (e) {
        await this.discard(artifact);
        throw e;
      }
      try {
        const version = await this.insertVersion(model, versionBody, versionId, artifact, principal);
        return { model, version };
      } catch (e) {
        // Compensation: without the version the model must not exist either.
        await this.deps.models.delete(model.modelId);
        throw e;
      }
    });
  }

  async addVersion(idOrName: string, body: CreateVersionBody, principal: Principal, source: ArtifactSource): Promise<ModelVersion> {
    return withSpan('model.register_version', { 'model.id': idOrName, 'model.version': body.version }, async () => {
      const model = await this.deps.models.findByIdOrName(idOrName);
      if (!model) throw errors.notFound('MODEL_NOT_FOUND', idOrName);
      if (model.isArchived) throw errors.conflict(`Model ${model.name} is archived`);
      if (await this.deps.versions.exists(model.modelId, body.version))
        throw errors.conflict(`Version ${body.version} of ${model.name} already exists`, [{ field: 'version', message: 'is already registered for this model' }]);
      const versionId = randomUUID();
      const artifact = await this.storeCheckedArtifact(model.name, body, versionId, source);
      return this.insertVersion(model, body, versionId, artifact, principal);
    });
  }

  async getModel(idOrName: string): Promise<Model> {
    const model = await this.deps.models.findByIdOrName(idOrName);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', idOrName);
    return model;
  }

  listModels(query: ModelQuery) {
    return this.deps.models.list(query);
  }

  async listVersions(idOrName: string): Promise<{ model: Model; versions: ModelVersion[] }> {
    const model = await this.getModel(idOrName);
    return { model, versions: await this.deps.versions.listByModel(model.modelId) };
  }

  /** A version by semantic version, version id, or alias. */
  async getVersion(idOrName: string, ref: string): Promise<{ model: Model; version: ModelVersion }> {
    const model = await this.getModel(idOrName);
    const version = await this.deps.versions.find(model.modelId, model.aliases[ref] ?? ref);
    if (!version) throw errors.notFound('VERSION_NOT_FOUND', `${model.name}@${ref}`);
    return { model, version };
  }

  async patchModel(idOrName: string, set: { description?: string; owner?: string; tags?: string[] }): Promise<Model> {
    const model = await this.getModel(idOrName);
    const updated = await this.deps.models.update(model.modelId, { ...set, ...(set.tags && { tags: [...new Set(set.tags)] }) }, this.now());
    if (!updated) throw errors.notFound('MODEL_NOT_FOUND', idOrName);
    return updated;
  }

  async patchVersion(
    idOrName: string,
    ref: string,
    patch: { status?: VersionStatus; reason?: string; modelCard?: ModelVersion['modelCard']; baseline?: ModelVersion['baseline'] },
    principal: Principal,
  ): Promise<ModelVersion> {
    let { version } = await this.getVersion(idOrName, ref);
    if (patch.status !== undefined && patch.status !== version.status) {
      if (!canTransition(version.status, patch.status))
        throw new AppError('VALIDATION_ERROR', `Cannot move version from ${version.status} to ${patch.status}`, [{ field: 'status', message: `not allowed from ${version.status}` }]);
      if (patch.status === 'Approved' && principal.role !== 'Admin') throw errors.forbidden('Only an Admin approves a version');
      if (patch.status === 'Deployed') throw AppError.validation('status', 'is set by deployments, not by hand');
      const now = this.now();
      const moved = await this.deps.versions.transition(
        version.versionId,
        version.status,
        { status: patch.status, at: now, by: principal.username, ...(patch.reason && { reason: patch.reason }) },
        patch.status === 'Approved' ? { approvedBy: principal.username, approvedAt: now } : {},
      );
      if (!moved) throw errors.conflict(`Version ${version.version} changed status concurrently; retry`);
      version = moved;
    }
    if (patch.modelCard !== undefined || patch.baseline !== undefined) {
      const set = { ...(patch.modelCard && { modelCard: patch.modelCard }), ...(patch.baseline && { baseline: patch.baseline }) };
      version = (await this.deps.versions.update(version.versionId, set)) ?? version;
    }
    return version;
  }

  /** Points `alias` at a version of the model: one atomic update of the model document. */
  async setAlias(idOrName: string, alias: string, versionRef: string | null): Promise<Model> {
    const model = await this.getModel(idOrName);
    let target: string | null = null;
    if (versionRef !== null) {
      const version = await this.deps.versions.find(model.modelId, versionRef);
      if (!version) throw errors.notFound('VERSION_NOT_FOUND', `${model.name}@${versionRef}`);
      if (version.status === 'Archived') throw errors.conflict(`Version ${version.version} is archived`);
      target = version.version;
    } else if (model.aliases[alias] === undefined) {
      throw errors.notFound('NOT_FOUND', `alias ${alias} of ${model.name}`);
    }
    const updated = await this.deps.models.setAlias(model.modelId, alias, target, this.now());
    if (!updated) throw errors.notFound('MODEL_NOT_FOUND', idOrName);
    return updated;
  }

  /**
   * Archive (default) or purge (GDPR: versions, artifacts, sample sets and the model's request
   * data deleted; its audit records stay). Refused while any route sends traffic to one of the
   * model's versions. A purge interrupted half-way is finished by
   * repeating it: the model is hidden first, every later step is idempotent.
   */
  async deleteModel(idOrName: string, purge: boolean, principal: Principal): Promise<{ modelId: string; purged: boolean; deleted?: DeletedCounts }> {
    const model = (await this.deps.models.findByIdOrName(idOrName)) ?? (purge ? await this.deps.models.findPurging(idOrName) : null);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', idOrName);
    const routed = await this.deps.routing.routedVersionIds(model.modelId);
    if (routed.length > 0) {
      const versions = await this.deps.versions.listByModel(model.modelId);
      const names = versions.filter((v) => routed.includes(v.versionId)).map((v) => v.version);
      throw errors.conflict(`Model ${model.name} still receives traffic on version(s) ${names.join(', ')}; route traffic away first`, [
        { field: 'model', message: `routed versions: ${names.join(', ')}` },
      ]);
    }
    if (!purge) {
      const now = this.now();
      await this.deps.versions.archiveAll(model.modelId, { status: 'Archived', at: now, by: principal.username, reason: 'model archived' });
      await this.deps.models.update(model.modelId, { isArchived: true }, now);
      return { modelId: model.modelId, purged: false };
    }
    await this.deps.models.markPurging(model.modelId);
    const deleted = await this.deps.purgeData({ modelId: model.modelId, name: model.name });
    for (const v of await this.deps.versions.listByModel(model.modelId)) {
      for (const key of sampleSetKeys(model.name, v)) if (artifactKeyProblem(key) === null) await this.deps.artifacts.delete(key);
      await this.deps.artifacts.delete(v.artifactKey);
      await this.deps.versions.delete(v.versionId);
    }
    await this.deps.models.delete(model.modelId);
    return { modelId: model.modelId, purged: true, deleted };
  }

  /**
   * A feature schema proposed from the version's graph (domain/feature-schema/propose-schema.ts);
   * a version registered before the registry read graphs has none to derive from.
   */
  async proposeSchema(idOrName: string, ref: string): Promise<SchemaProposal & { interface: ModelVersion['interface'] }> {
    const { version } = await this.getVersion(idOrName, ref);
    if (!version.graph) return { interface: version.interface, inputSchema: null, outputSchema: null, reasons: ['the version was registered before the registry read graphs'] };
    return { interface: version.interface, ...proposeFeatureSchema(version.graph) };
  }

  /**
   * Stores the artifact, reads its graph and checks the feature schema against it, reporting
   * every problem at once (JSON Schema validity, the x-hotswap convention, the graph). A
   * refused artifact this request stored is deleted again, so nothing is left behind.
   */
  private async storeCheckedArtifact(modelName: string, body: CreateVersionBody, versionId: string, source: ArtifactSource): Promise<StoredArtifact> {
    const stored = await this.storeArtifact(modelName, body, versionId, source);
    let graph: ModelGraph | null = null;
    const details: ErrorDetail[] = [];
    try {
      graph = await readModelGraphFrom(await this.deps.artifacts.get(stored.key));
    } catch (e) {
      if (!(e instanceof InvalidModelError)) {
        await this.discard(stored);
        throw e;
      }
      const field = source.kind === 'upload' ? 'artifact' : 'artifactPath';
      details.push(...e.problems.map((message) => ({ field, message: `is not a valid ONNX model: ${message}` })));
    }
    if (body.inputSchema !== undefined && body.outputSchema !== undefined) {
      const jsonSchema = [...checkObjectSchema(body.inputSchema, 'inputSchema'), ...checkObjectSchema(body.outputSchema, 'outputSchema')];
      details.push(...jsonSchema, ...(graph ? schemaGraphProblems(graph, body.inputSchema, body.outputSchema) : featureSchemaProblems(body.inputSchema, body.outputSchema)));
    }
    if (details.length || !graph) {
      await this.discard(stored);
      throw new AppError('VALIDATION_ERROR', `Model validation failed: ${details.length} problem${details.length === 1 ? '' : 's'}`, details);
    }
    return { ...stored, graph };
  }

  private async storeArtifact(modelName: string, body: CreateVersionBody, versionId: string, source: ArtifactSource): Promise<Omit<StoredArtifact, 'graph'>> {
    const { artifacts } = this.deps;
    const declared = body.checksum?.replace(/^sha256:/, '');
    if (source.kind === 'upload') {
      if (body.artifactPath !== undefined) throw AppError.validation('artifactPath', 'must be omitted when the artifact is uploaded');
      // The version id in the key keeps two racing uploads of the same version apart.
      const key = artifactKeyFor(modelName, body.version, `${versionId}.onnx`);
      const put = await artifacts.put(key, source.stream, { maxBytes: this.deps.maxArtifactBytes, ...(declared && { expectedSha256: declared }) });
      return { key: put.key, checksum: `sha256:${put.sha256}`, sizeBytes: put.sizeBytes, ownedByRequest: true };
    }
    if (body.artifactPath === undefined) throw AppError.validation('artifactPath', 'is required unless the artifact is uploaded (multipart/form-data)');
    const key = artifacts.resolveReference(body.artifactPath);
    const stat = await artifacts.stat(key);
    if (!stat) throw AppError.validation('artifactPath', 'does not exist in the artifact store');
    if (stat.sizeBytes > this.deps.maxArtifactBytes) throw AppError.validation('artifactPath', `is larger than ${this.deps.maxArtifactBytes} bytes`);
    const actual = await artifacts.checksum(key);
    if (declared && declared !== actual)
      throw new AppError('CHECKSUM_MISMATCH', undefined, [{ field: 'checksum', message: `declared sha256:${declared} but the artifact is sha256:${actual}` }]);
    return { key, checksum: `sha256:${actual}`, sizeBytes: stat.sizeBytes, ownedByRequest: false };
  }

  private async insertVersion(model: Model, body: CreateVersionBody, versionId: string, artifact: StoredArtifact, principal: Principal): Promise<ModelVersion> {
    const now = this.now();
    const version: ModelVersion = {
      versionId,
      modelId: model.modelId,
      modelName: model.name,
      version: body.version,
      artifactPath: this.deps.artifacts.toReference(artifact.key),
      artifactKey: artifact.key,
      checksum: artifact.checksum,
      artifactSizeBytes: artifact.sizeBytes,
      inputSchema: body.inputSchema ?? null,
      outputSchema: body.outputSchema ?? null,
      interface: body.inputSchema === undefined ? 'oip' : 'native',
      graph: artifact.graph,
      ...(body.trainingMetadata && { trainingMetadata: body.trainingMetadata }),
      ...(body.baseline && { baseline: body.baseline }),
      ...(body.lineage && { lineage: body.lineage }),
      ...(body.modelCard && { modelCard: body.modelCard }),
      ...(body.fairness && { fairness: body.fairness }),
      status: 'Registered',
      statusHistory: [{ status: 'Registered', at: now, by: principal.username }],
      createdAt: now,
      createdBy: principal.username,
      isDeprecated: false,
    };
    try {
      await this.deps.versions.insert(version);
    } catch (e) {
      await this.discard(artifact);
      throw e;
    }
    return version;
  }

  private async discard(artifact: Omit<StoredArtifact, 'graph'>): Promise<void> {
    if (artifact.ownedByRequest) await this.deps.artifacts.delete(artifact.key).catch(() => undefined);
  }
}
