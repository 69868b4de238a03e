import { ApplicationFailure } from '@temporalio/common';
import type { ArtifactStore } from '../infra/artifact-store/artifact-store';
import type { VersionRepository } from '../infra/mongo/version-repository';
import type { ModelRepository } from '../infra/mongo/model-repository';

export interface RegistryActivityDeps {
  models: ModelRepository;
  versions: VersionRepository;
  artifacts: ArtifactStore;
}

export interface ArtifactCheck {
  versionId: string;
  checksum: string;
  sizeBytes: number;
  verified: boolean;
  reason?: string;
}

/**
 * Registry activities. Idempotent reads; an unknown model or version is bad input and fails
 * without retries (non-retryable ApplicationFailure typed with the catalogue's code).
 */
export function createRegistryActivities(deps: RegistryActivityDeps) {
  return {
    /** Validation gate: re-reads the stored artifact and compares its SHA-256 with the registered checksum. */
    async verifyArtifactIntegrity(input: { modelId: string; versionId: string }): Promise<ArtifactCheck> {
      const model = await deps.models.findByIdOrName(input.modelId);
      if (!model) throw ApplicationFailure.nonRetryable(`Model ${input.modelId} does not exist`, 'MODEL_NOT_FOUND');
      const version = await deps.versions.find(model.modelId, input.versionId);
      if (!version) throw ApplicationFailure.nonRetryable(`Version ${input.versionId} does not exist`, 'VERSION_NOT_FOUND');
      const stat = await deps.artifacts.stat(version.artifactKey);
      if (!stat) return { versionId: version.versionId, checksum: version.checksum, sizeBytes: 0, verified: false, reason: 'artifact is missing from the store' };
      const actual = `sha256:${await deps.artifacts.checksum(version.artifactKey)}`;
      const verified = actual === version.checksum && stat.sizeBytes === version.artifactSizeBytes;
      return {
        versionId: version.versionId,
        checksum: actual,
        sizeBytes: stat.sizeBytes,
        verified,
        ...(!verified && { reason: `stored artifact is ${actual} (${stat.sizeBytes} bytes), registered ${version.checksum} (${version.artifactSizeBytes} bytes)` }),
      };
    },
  };
}

export type RegistryActivities = ReturnType<typeof createRegistryActivities>;
