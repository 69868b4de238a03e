import path from 'node:path';
import { AppError } from '../../domain/errors';
import { createArtifactStore, type ArtifactStoreConfig } from '../../infra/artifact-store/create-artifact-store';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { S3ArtifactStore } from '../../infra/artifact-store/s3-artifact-store';

// Reference parsing is pure: no directory is touched and no S3 request is made.
const fsConfig: ArtifactStoreConfig = {
  ARTIFACT_STORE: 'fs',
  ARTIFACT_DIR: '/srv/artifacts',
  S3_REGION: 'us-east-1',
  S3_BUCKET: 'hotswap-models',
  S3_FORCE_PATH_STYLE: true,
};
const s3Config: ArtifactStoreConfig = { ...fsConfig, ARTIFACT_STORE: 's3', S3_ENDPOINT: 'http://127.0.0.1:1', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' };

const rejection = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
};

describe('createArtifactStore', () => {
  it('builds a filesystem store rooted at ARTIFACT_DIR', () => {
    const store = createArtifactStore(fsConfig);
    expect(store).toBeInstanceOf(FilesystemArtifactStore);
    expect((store as FilesystemArtifactStore).root).toBe('/srv/artifacts');
  });

  it('resolves a relative ARTIFACT_DIR against the working directory', () => {
    const store = createArtifactStore({ ...fsConfig, ARTIFACT_DIR: './data/artifacts' }) as FilesystemArtifactStore;
    expect(store.root).toBe(path.resolve('data/artifacts'));
  });

  it('builds an S3 store for the configured bucket', async () => {
    const store = createArtifactStore(s3Config);
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.kind).toBe('s3');
    expect((store as S3ArtifactStore).bucket).toBe('hotswap-models');
    expect((store as S3ArtifactStore).client.config.forcePathStyle).toBe(true);
    await store.close();
  });

  it('refuses half an S3 key pair', () => {
    expect(() => createArtifactStore({ ...s3Config, S3_SECRET_ACCESS_KEY: undefined })).toThrow(/set together/);
  });
});

describe('FilesystemArtifactStore references', () => {
  const store = new FilesystemArtifactStore('/srv/artifacts');

  it.each([
    ['models/a/1/model.onnx', 'models/a/1/model.onnx'],
    ['fs://models/a/1/model.onnx', 'models/a/1/model.onnx'],
    ['file:///srv/artifacts/models/a/1/model.onnx', 'models/a/1/model.onnx'],
  ])('resolves %j', (ref, key) => {
    expect(store.resolveReference(ref)).toBe(key);
  });

  it.each([
    'file:///etc/passwd',
    'file:///srv/artifacts-other/x',
    'file:///srv/artifacts/../etc/passwd',
    'file://localhost/srv/artifacts/x',
    'fs://../x',
    'fs://',
    's3://hotswap-models/models/a',
    'https://example.com/model.onnx',
    '../x',
    '',
  ])('rejects %j with field artifactPath', (ref) => {
    expect(rejection(() => store.resolveReference(ref))).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'artifactPath' }] });
  });

  it('round-trips toReference', () => {
    expect(store.toReference('models/a/1/model.onnx')).toBe('fs://models/a/1/model.onnx');
    expect(store.resolveReference(store.toReference('models/a/1/model.onnx'))).toBe('models/a/1/model.onnx');
  });
});

describe('S3ArtifactStore references', () => {
  const store = new S3ArtifactStore({ bucket: 'hotswap-models', endpoint: 'http://127.0.0.1:1', accessKeyId: 'k', secretAccessKey: 's' });
  afterAll(() => store.close());

  it.each([
    ['s3://hotswap-models/models/a/1/model.onnx', 'models/a/1/model.onnx'],
    ['models/a/1/model.onnx', 'models/a/1/model.onnx'],
  ])('resolves %j', (ref, key) => {
    expect(store.resolveReference(ref)).toBe(key);
  });

  it.each([
    's3://other-bucket/models/a/1/model.onnx',
    's3://hotswap-models',
    's3://hotswap-models/',
    's3:///models/a',
    's3://hotswap-models/../x',
    's3://hotswap-models/tmp/123',
    'S3://hotswap-models/models/a',
    'fs://models/a',
    'file:///srv/artifacts/models/a',
  ])('rejects %j with field artifactPath', (ref) => {
    expect(rejection(() => store.resolveReference(ref))).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'artifactPath' }] });
  });

  it('names the expected bucket when another is given', () => {
    expect(rejection(() => store.resolveReference('s3://other/models/a')).details[0].message).toContain('hotswap-models');
  });

  it('round-trips toReference', () => {
    expect(store.toReference('models/a/1/model.onnx')).toBe('s3://hotswap-models/models/a/1/model.onnx');
    expect(store.resolveReference(store.toReference('models/a/1/model.onnx'))).toBe('models/a/1/model.onnx');
  });

  it('refuses to build a reference for an invalid key', () => {
    expect(() => store.toReference('../x')).toThrow(AppError);
  });
});
