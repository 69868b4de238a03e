import type { ModelServerConfig } from '../infra/config/schemas';
import type { LoadRequest } from '../domain/serving/load-request';
import type { LoadSpec } from './version-host';

export type LoadDefaults = Pick<ModelServerConfig, 'ORT_INTRA_OP_THREADS' | 'ORT_INTER_OP_THREADS' | 'ORT_GRAPH_OPTIMIZATION' | 'ORT_ALLOW_SPINNING' | 'WARMUP_RUNS'>;

/** The one place a load request becomes a LoadSpec: the control API and the reconciler both load through it. */
export function toLoadSpec(config: LoadDefaults, body: LoadRequest): LoadSpec {
  const o = body.options ?? {};
  return {
    versionId: body.versionId,
    modelName: body.modelName,
    version: body.version,
    artifactKey: body.artifactKey,
    checksum: body.checksum.toLowerCase(),
    inputSchema: body.inputSchema,
    outputSchema: body.outputSchema,
    ...(body.estimatedBytes !== undefined && { estimatedBytes: body.estimatedBytes }),
    options: {
      intraOpThreads: o.intraOpThreads ?? config.ORT_INTRA_OP_THREADS,
      interOpThreads: o.interOpThreads ?? config.ORT_INTER_OP_THREADS,
      graphOptimization: o.graphOptimization ?? config.ORT_GRAPH_OPTIMIZATION,
      allowSpinning: config.ORT_ALLOW_SPINNING,
      maxBatchSize: o.maxBatchSize ?? 64,
      maxQueueDelayMicros: o.maxQueueDelayMicros ?? 0,
      warmupRuns: o.warmupRuns ?? config.WARMUP_RUNS,
    },
  };
}
