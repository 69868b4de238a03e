import { randomBytes } from 'node:crypto';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { S3ArtifactStore } from '../../infra/artifact-store/s3-artifact-store';

/** What only the S3 adapter has: a bucket that may not exist yet. Runs against HOTSWAP_TEST_S3_*. */
describe('S3ArtifactStore bucket handling', () => {
  const endpoint = process.env.HOTSWAP_TEST_S3_ENDPOINT;
  const accessKeyId = process.env.HOTSWAP_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.HOTSWAP_TEST_S3_SECRET_ACCESS_KEY;
  let store: S3ArtifactStore;

  beforeAll(() => {
    if (!endpoint || !accessKeyId || !secretAccessKey)
      throw new Error('HOTSWAP_TEST_S3_ENDPOINT, HOTSWAP_TEST_S3_ACCESS_KEY_ID and HOTSWAP_TEST_S3_SECRET_ACCESS_KEY must be set (test/setup/global-setup.ts exports them)');
    store = new S3ArtifactStore({ bucket: `hotswap-ensure-${randomBytes(6).toString('hex')}`, endpoint, accessKeyId, secretAccessKey });
  });
  afterAll(async () => {
    await store?.client.send(new DeleteBucketCommand({ Bucket: store.bucket })).catch(() => undefined);
    await store?.close();
  });

  it('fails ping with SERVICE_UNAVAILABLE while the bucket is missing', async () => {
    await expect(store.ping()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });

  it('does not mistake a missing bucket for a missing artifact', async () => {
    await expect(store.get('models/a/model.onnx')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('creates the bucket, idempotently and safely under concurrent calls', async () => {
    await Promise.all([store.ensureBucket(), store.ensureBucket(), store.init()]);
    await store.ensureBucket();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.stat('models/a/model.onnx')).toBeNull();
  });

  it('fails ping with SERVICE_UNAVAILABLE when the credentials are wrong', async () => {
    const wrong = new S3ArtifactStore({ bucket: store.bucket, endpoint, accessKeyId: 'wrong', secretAccessKey: 'wrong-secret' });
    try {
      await expect(wrong.ping()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await wrong.close();
    }
  });
});
