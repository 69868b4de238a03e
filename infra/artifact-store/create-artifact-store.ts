import type { ApiConfig } from '../config/schemas';
import type { ArtifactStore } from './artifact-store';
import { FilesystemArtifactStore } from './filesystem-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

/** The artifact-store variables, shared by the api, worker and model-server configs. */
export type ArtifactStoreConfig = Pick<
  ApiConfig,
  'ARTIFACT_STORE' | 'ARTIFACT_DIR' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_BUCKET' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY' | 'S3_FORCE_PATH_STYLE'
>;

/** Builds the configured store. Call init() on it before first use. */
export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  if (config.ARTIFACT_STORE === 'fs') return new FilesystemArtifactStore(config.ARTIFACT_DIR);
  // Half a key pair would silently fall back to the SDK's default credential chain.
  if ((config.S3_ACCESS_KEY_ID === undefined) !== (config.S3_SECRET_ACCESS_KEY === undefined))
    throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  return new S3ArtifactStore({
    bucket: config.S3_BUCKET,
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
}
