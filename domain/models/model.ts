import type { ModelFramework, ModelType, VersionStatus } from './enums';
import type { ModelGraph, VersionInterface } from './graph';
import type { Fairness } from '../validation/fairness';

/** A registered model (DOMAIN_MODELS "Model"); versions live in their own collection. */
export interface Model {
  modelId: string;
  name: string;
  description?: string;
  framework: ModelFramework;
  type: ModelType;
  owner: string;
  tags: string[];
  /** Semantic version serving in Production, set by deployments. */
  activeVersion: string | null;
  /** alias → version string; one alias names exactly one version. */
  aliases: Record<string, string>;
  isArchived: boolean;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string;
}

export interface TrainingMetadata {
  datasetName?: string;
  datasetVersion?: string;
  trainingSamples?: number;
  validationSamples?: number;
  hyperparameters?: Record<string, unknown>;
  trainingMetrics?: Record<string, number>;
  trainedAt?: string;
  trainingJob?: string;
  accuracy?: number;
  f1Score?: number;
}

export interface PerformanceBaseline {
  accuracy?: number;
  precision?: number;
  recall?: number;
  f1Score?: number;
  inferenceLatencyMs?: number;
  memoryUsageBytes?: number;
}

export interface Lineage {
  parentVersion?: string | null;
  datasetName?: string;
  datasetVersion?: string;
  trainingRun?: string;
  codeCommit?: string | null;
}

export interface ModelCard {
  intendedUse?: string;
  limitations?: string;
  ethicalConsiderations?: string;
}

export interface StatusChange {
  status: VersionStatus;
  at: Date;
  by: string;
  reason?: string;
}

/** A version of a model (DOMAIN_MODELS "ModelVersion"). */
export interface ModelVersion {
  versionId: string;
  modelId: string;
  modelName: string;
  version: string;
  artifactPath: string;
  artifactKey: string;
  /** "sha256:<64 hex>" */
  checksum: string;
  artifactSizeBytes: number;
  /** The feature schemas of the native JSON interface; both null for an OIP-only version. */
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
  /** 'oip' when registered without a feature schema: served over /v2 only. */
  interface: VersionInterface;
  /** The artifact's graph as read at registration; null for versions registered before the registry read graphs. */
  graph: ModelGraph | null;
  trainingMetadata?: TrainingMetadata;
  baseline?: PerformanceBaseline;
  lineage?: Lineage;
  modelCard?: ModelCard;
  /** Sensitive input features for the bias validation gate (domain/validation/fairness.ts). */
  fairness?: Fairness;
  status: VersionStatus;
  statusHistory: StatusChange[];
  approvedBy?: string;
  approvedAt?: Date;
  createdAt: Date;
  createdBy: string;
  isDeprecated: boolean;
}

/**
 * Artifact key of a version in the store: one folder per model and version. Semver build
 * metadata's "+" is not a key character, so it becomes "_" (1.0.0+abc → 1.0.0_abc).
 */
export function artifactKeyFor(modelName: string, version: string, fileName = 'model.onnx'): string {
  return `models/${modelName}/${version.replace(/\+/g, '_')}/${fileName}`;
}

/**
 * Where a version's labelled sample set (the deployments' smoke-test features) may be stored:
 * next to its artifact, then in the version's folder. Example: artifact `uploads/a/model.onnx`
 * of fraud 2.0.0 → `uploads/a/samples.json`, `models/fraud/2.0.0/samples.json`.
 */
export function sampleSetKeys(modelName: string, version: Pick<ModelVersion, 'artifactKey' | 'version'>): string[] {
  const slash = version.artifactKey.lastIndexOf('/');
  const nextToArtifact = slash < 0 ? 'samples.json' : `${version.artifactKey.slice(0, slash)}/samples.json`;
  return [...new Set([nextToArtifact, artifactKeyFor(modelName, version.version, 'samples.json')])];
}
