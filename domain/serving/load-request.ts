/**
 * What a model server is asked to load (the body of POST /control/versions, and what its
 * reconciler builds itself): the version, its artifact and schemas, the memory it is expected
 * to take, and optional session settings.
 */
import type { ModelVersion } from '../models/model';
import { estimateVersionBytes } from './memory';

export interface LoadRequest {
  versionId: string;
  modelName: string;
  version: string;
  artifactKey: string;
  checksum: string;
  /** The feature schemas; both null for an OIP-only version (served over /v2 only). */
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
  /** Memory the version is expected to take (for the server's memory budget). */
  estimatedBytes?: number;
  options?: {
    intraOpThreads?: number;
    interOpThreads?: number;
    graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
    maxBatchSize?: number;
    maxQueueDelayMicros?: number;
    warmupRuns?: number;
  };
}

/** The load request of a registered version. */
export function loadRequestFor(version: ModelVersion, modelName: string): LoadRequest {
  return {
    versionId: version.versionId,
    modelName,
    version: version.version,
    artifactKey: version.artifactKey,
    checksum: version.checksum,
    inputSchema: version.inputSchema,
    outputSchema: version.outputSchema,
    estimatedBytes: estimateVersionBytes(version),
  };
}
