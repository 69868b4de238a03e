import semver from 'semver';
import { z } from '../openapi/zod';
import { MODEL_FRAMEWORKS, MODEL_TYPES, VERSION_STATUSES } from '../../domain/models/enums';
import { TENSOR_DATATYPES, VERSION_INTERFACES } from '../../domain/models/graph';
import { FairnessSchema, fairnessProblems, type Fairness } from '../../domain/validation/fairness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const ModelNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9-]+$/, 'must contain only lowercase letters, digits and dashes')
  .refine((n) => !UUID.test(n), 'must not look like a model id (UUID)');

export const SemverSchema = z
  .string()
  .max(64)
  .refine((v) => semver.valid(v) === v, 'must be a semantic version such as 1.0.0');

/** "sha256:<hex>" or bare hex; normalised to lowercase "sha256:<hex>". */
export const ChecksumSchema = z
  .string()
  .regex(/^(sha256:)?[0-9a-fA-F]{64}$/, 'must be sha256:<64 hex digits>')
  .transform((c) => `sha256:${c.replace(/^sha256:/, '').toLowerCase()}`);

/** JSON Schema, as an object or (as in the spec's example) a JSON string. Deep checks happen in the service. */
const JsonSchemaField = z
  .union([z.record(z.string(), z.unknown()), z.string()])
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      const parsed: unknown = JSON.parse(v);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'must be a JSON Schema object or a string containing one' });
    return z.NEVER;
  })
  .openapi({ type: 'object', description: 'JSON Schema (object, or a string containing one)' });

const finite = () => z.number().finite();
const ratio = () => z.number().min(0).max(1);

export const TrainingMetadataSchema = z.strictObject({
  datasetName: z.string().max(200).optional(),
  datasetVersion: z.string().max(100).optional(),
  trainingSamples: z.number().int().nonnegative().optional(),
  validationSamples: z.number().int().nonnegative().optional(),
  hyperparameters: z.record(z.string(), z.unknown()).optional(),
  trainingMetrics: z.record(z.string(), finite()).optional(),
  trainedAt: z.iso.datetime({ offset: true }).optional(),
  trainingJob: z.string().max(200).optional(),
  accuracy: ratio().optional(),
  f1Score: ratio().optional(),
});

export const BaselineSchema = z.strictObject({
  accuracy: ratio().optional(),
  precision: ratio().optional(),
  recall: ratio().optional(),
  f1Score: ratio().optional(),
  inferenceLatencyMs: finite().nonnegative().optional(),
  memoryUsageBytes: z.number().int().nonnegative().optional(),
});

export const LineageSchema = z.strictObject({
  parentVersion: SemverSchema.nullable().optional(),
  datasetName: z.string().max(200).optional(),
  datasetVersion: z.string().max(100).optional(),
  trainingRun: z.string().max(200).optional(),
  codeCommit: z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a git commit hash').nullable().optional(),
});

export const ModelCardSchema = z.strictObject({
  intendedUse: z.string().max(5000).optional(),
  limitations: z.string().max(5000).optional(),
  ethicalConsiderations: z.string().max(5000).optional(),
});

/** Fields of a version, shared by "register model with its first version" and "add version". */
const versionFields = {
  version: SemverSchema,
  artifactPath: z.string().min(1).max(1024).optional().openapi({ description: 'Reference to an artifact already in the configured store (e.g. s3://bucket/key or fs://key). Omit when uploading with multipart/form-data.' }),
  checksum: ChecksumSchema.optional(),
  inputSchema: JsonSchemaField.optional(),
  outputSchema: JsonSchemaField.optional(),
  trainingMetadata: TrainingMetadataSchema.optional(),
  baseline: BaselineSchema.optional(),
  lineage: LineageSchema.optional(),
  modelCard: ModelCardSchema.optional(),
  fairness: FairnessSchema.optional().openapi({ description: 'Sensitive input features for the bias validation gate, and the class counted as positive.' }),
};

/** The feature schema is both schemas or neither (an OIP-only version). */
function bothSchemasOrNeither(b: { inputSchema?: unknown; outputSchema?: unknown; fairness?: Fairness }, ctx: z.RefinementCtx): void {
  if (b.inputSchema !== undefined && b.outputSchema === undefined)
    ctx.addIssue({ code: 'custom', path: ['outputSchema'], message: 'is required with inputSchema (omit both for an OIP-only version)' });
  if (b.outputSchema !== undefined && b.inputSchema === undefined)
    ctx.addIssue({ code: 'custom', path: ['inputSchema'], message: 'is required with outputSchema (omit both for an OIP-only version)' });
  if (b.fairness !== undefined)
    for (const p of fairnessProblems(b.fairness, b.inputSchema, b.outputSchema)) ctx.addIssue({ code: 'custom', path: ['fairness', ...p.path], message: p.message });
}

export const CreateVersionBodySchema = z.strictObject(versionFields).superRefine(bothSchemasOrNeither).openapi('CreateVersionRequest', {
  description: 'Without inputSchema and outputSchema the version is OIP-only: served over /v2, not the JSON features API.',
});
export type CreateVersionBody = z.infer<typeof CreateVersionBodySchema>;

const TagSchema = z.string().min(1).max(50).regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits, _ . : -');

export const RegisterModelBodySchema = z
  .strictObject({
    name: ModelNameSchema,
    description: z.string().max(2000).optional(),
    framework: z.enum(MODEL_FRAMEWORKS),
    type: z.enum(MODEL_TYPES),
    owner: z.string().min(1).max(200).optional(),
    tags: z.array(TagSchema).max(50).default([]),
    version: versionFields.version.optional(),
    artifactPath: versionFields.artifactPath,
    checksum: versionFields.checksum,
    inputSchema: versionFields.inputSchema,
    outputSchema: versionFields.outputSchema,
    trainingMetadata: versionFields.trainingMetadata,
    baseline: versionFields.baseline,
    lineage: versionFields.lineage,
    modelCard: versionFields.modelCard,
    fairness: versionFields.fairness,
  })
  .superRefine((b, ctx) => {
    const versionKeys = ['artifactPath', 'checksum', 'inputSchema', 'outputSchema', 'trainingMetadata', 'baseline', 'lineage', 'modelCard', 'fairness'] as const;
    if (b.version === undefined) {
      for (const k of versionKeys) if (b[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'needs "version" (it describes the first version)' });
      return;
    }
    bothSchemasOrNeither(b, ctx);
  })
  .openapi('RegisterModelRequest');
export type RegisterModelBody = z.infer<typeof RegisterModelBodySchema>;

export const PatchModelBodySchema = z
  .strictObject({
    description: z.string().max(2000).optional(),
    owner: z.string().min(1).max(200).optional(),
    tags: z.array(TagSchema).max(50).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('PatchModelRequest');

export const PatchVersionBodySchema = z
  .strictObject({
    status: z.enum(VERSION_STATUSES).optional(),
    reason: z.string().max(1000).optional(),
    modelCard: ModelCardSchema.optional(),
    baseline: BaselineSchema.optional(),
  })
  .refine((b) => b.status !== undefined || b.modelCard !== undefined || b.baseline !== undefined, 'must change at least one field')
  .openapi('PatchVersionRequest');

export const AliasNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and dashes, starting with a letter');
export const SetAliasBodySchema = z.strictObject({ version: SemverSchema }).openapi('SetAliasRequest');

export const ListModelsQuerySchema = z.strictObject({
  framework: z.enum(MODEL_FRAMEWORKS).optional(),
  type: z.enum(MODEL_TYPES).optional(),
  tag: TagSchema.optional(),
  owner: z.string().max(200).optional(),
  search: z.string().max(100).optional(),
  includeArchived: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  sort: z.enum(['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt']).default('name'),
});

export const DeleteModelQuerySchema = z.strictObject({ purge: z.enum(['true', 'false']).default('false') });

export const ModelSummarySchema = z
  .object({
    modelId: z.string(),
    name: z.string(),
    description: z.string().optional(),
    framework: z.enum(MODEL_FRAMEWORKS),
    type: z.enum(MODEL_TYPES),
    owner: z.string(),
    tags: z.array(z.string()),
    activeVersion: z.string().nullable(),
    aliases: z.record(z.string(), z.string()),
    isArchived: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Model');

const GraphTensorSchema = z
  .object({
    name: z.string(),
    datatype: z.enum(TENSOR_DATATYPES).nullable().openapi({ description: 'Open Inference Protocol datatype; null for a non-tensor value or an element type OIP cannot name' }),
    onnxType: z.string().openapi({ example: 'tensor(float)' }),
    shape: z.array(z.number().int()).nullable().openapi({ description: '-1 for a dynamic dim; null when the rank is unknown', example: [-1, 9] }),
    dimParams: z.array(z.string().nullable()).nullable().openapi({ description: 'The symbolic name of each dynamic dim, else null' }),
  })
  .openapi('GraphTensor');

export const ModelGraphSchema = z
  .object({
    inputs: z.array(GraphTensorSchema).openapi({ description: 'Inputs to feed (initializers excluded)' }),
    outputs: z.array(GraphTensorSchema),
    opsets: z.array(z.object({ domain: z.string(), version: z.number().int() })),
    irVersion: z.number().int(),
    producer: z.object({ name: z.string(), version: z.string() }),
    sizeBytes: z.number().int(),
  })
  .openapi('ModelGraph', { description: 'The ONNX graph as read from the artifact at registration' });

export const VersionSchema = z
  .object({
    versionId: z.string(),
    modelId: z.string(),
    modelName: z.string(),
    version: z.string(),
    artifactPath: z.string(),
    checksum: z.string(),
    artifactSizeBytes: z.number(),
    inputSchema: z.record(z.string(), z.unknown()).nullable(),
    outputSchema: z.record(z.string(), z.unknown()).nullable(),
    interface: z.enum(VERSION_INTERFACES).openapi({ description: '"native": the JSON features API and /v2; "oip": /v2 only (registered without a feature schema)' }),
    graph: ModelGraphSchema.nullable().openapi({ description: 'null for versions registered before the registry read graphs' }),
    status: z.enum(VERSION_STATUSES),
    aliases: z.array(z.string()),
    createdAt: z.string(),
  })
  .passthrough()
  .openapi('ModelVersion');

export const RegisterModelResponseSchema = z
  .object({
    modelId: z.string(),
    name: z.string(),
    version: z.string().optional(),
    versionId: z.string().optional(),
    checksum: z.string().optional(),
    status: z.string(),
    createdAt: z.string(),
  })
  .openapi('RegisterModelResponse');

export const SchemaProposalSchema = z
  .object({
    interface: z.enum(VERSION_INTERFACES),
    inputSchema: z.record(z.string(), z.unknown()).nullable(),
    outputSchema: z.record(z.string(), z.unknown()).nullable(),
    reasons: z.array(z.string()).openapi({ description: 'Why no schema could be derived, or what to edit in the proposal' }),
  })
  .openapi('SchemaProposal');
