import { Readable } from 'node:stream';
import { exampleModel } from '../helpers/example-models';
import { loadBody, startTestModelServer, versionIdOf, type TestModelServer } from '../helpers/model-server-harness';

const FRAUD_ROW = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };

describe('model server control API', () => {
  let ms: TestModelServer;
  beforeAll(async () => {
    ms = await startTestModelServer();
  });
  afterAll(async () => {
    await ms.close();
  });

  it('requires the service token, with the spec error body', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: ms.token }] as Record<string, string>[]) {
      const r = await ms.call('GET', '/control/versions', { headers });
      expect(r.status).toBe(401);
      expect(r.body.error).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), details: [], traceId: null, timestamp: expect.any(String) });
    }
    const post = await ms.call('POST', '/control/versions', { body: loadBody('fraud-detection', '1.0.0') });
    expect(post.status).toBe(401);
  });

  it('loads a version: fetch, verify, session, warm-up → Ready; the load is idempotent', async () => {
    const first = await ms.load('fraud-detection', '1.0.0');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      versionId: 'fraud-detection@1.0.0',
      modelName: 'fraud-detection',
      version: '1.0.0',
      state: 'Ready',
      inFlight: 0,
      options: { intraOpThreads: 1, interOpThreads: 1, graphOptimization: 'all', maxBatchSize: 64, maxQueueDelayMicros: 0, warmupRuns: 2 },
    });
    expect(first.body.memoryBytes).toBeGreaterThanOrEqual(exampleModel('fraud-detection', '1.0.0').onnx.length);
    expect(Date.parse(first.body.loadedAt)).not.toBeNaN();
    const [again, concurrent] = await Promise.all([ms.load('fraud-detection', '1.0.0'), ms.load('fraud-detection', '1.0.0')]);
    expect(again.status).toBe(200);
    expect(concurrent.status).toBe(200);
    expect(again.body.loadedAt).toBe(first.body.loadedAt);
    const list = await ms.call('GET', '/control/versions', { auth: true });
    expect(list.status).toBe(200);
    expect(list.body.versions.filter((v: { versionId: string }) => v.versionId === 'fraud-detection@1.0.0')).toHaveLength(1);
    const one = await ms.call('GET', `/control/versions/${encodeURIComponent('fraud-detection@1.0.0')}`, { auth: true });
    expect(one.body.state).toBe('Ready');
  });

  it('concurrent loads of a new versionId share one load', async () => {
    const [a, b] = await Promise.all([ms.load('digits', '1.0.0'), ms.load('digits', '1.0.0')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.loadedAt).toBe(b.body.loadedAt);
    expect((await ms.unload(versionIdOf('digits', '1.0.0'))).status).toBe(200);
  });

  it('a checksum mismatch fails the load with a clear reason and leaves nothing loaded', async () => {
    const r = await ms.load('fraud-detection', '2.0.0', { checksum: `sha256:${'0'.repeat(64)}` });
    expect(r.status).toBe(422);
    expect(r.body.state).toBe('Failed');
    expect(r.body.reason).toMatch(/checksum mismatch: declared sha256:0{64} but artifact models\/fraud-detection\/2.0.0\/model.onnx hashes to sha256:[0-9a-f]{64}/);
    expect(r.body.error.code).toBe('CHECKSUM_MISMATCH');
    expect(r.body.error.details).toEqual([{ field: 'checksum', message: r.body.reason }]);
    const list = await ms.call('GET', '/control/versions', { auth: true });
    expect(list.body.versions.map((v: { versionId: string }) => v.versionId)).not.toContain('fraud-detection@2.0.0');
    // a retry with the right checksum loads
    expect((await ms.load('fraud-detection', '2.0.0')).status).toBe(200);
    expect((await ms.unload('fraud-detection@2.0.0')).status).toBe(200);
  });

  it('a corrupted artifact in the store fails verification', async () => {
    const ex = exampleModel('fraud-detection', '3.0.0-degraded');
    const bytes = Buffer.from(ex.onnx);
    bytes[bytes.length - 1] ^= 0xff;
    await ms.store.put('models/corrupt/1/model.onnx', Readable.from([bytes]));
    const r = await ms.call('POST', '/control/versions', {
      auth: true,
      body: loadBody('fraud-detection', '3.0.0-degraded', { versionId: 'corrupt', modelName: 'corrupt', version: '1', artifactKey: 'models/corrupt/1/model.onnx' }),
    });
    expect(r.status).toBe(422);
    expect(r.body.reason).toMatch(/checksum mismatch/);
  });

  it('a missing artifact fails the load naming the key', async () => {
    const r = await ms.call('POST', '/control/versions', { auth: true, body: loadBody('fraud-detection', '1.0.0', { versionId: 'ghost', modelName: 'ghost', artifactKey: 'models/ghost/1/model.onnx', checksum: `sha256:${'1'.repeat(64)}` }) });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('ARTIFACT_NOT_FOUND');
    expect(r.body.reason).toMatch(/models\/ghost\/1\/model.onnx does not exist/);
  });

  it.each<[string, (b: ReturnType<typeof loadBody>) => Record<string, unknown>, RegExp]>([
    [
      'tensor name not in the graph',
      (b) => ({ inputSchema: { ...b.inputSchema, 'x-hotswap-tensor': { ...b.inputSchema['x-hotswap-tensor'], name: 'features' } } }),
      /graph has no input named "features".*its inputs are "float_input"/,
    ],
    [
      'schema width differs from the graph',
      (b) => ({ inputSchema: { ...b.inputSchema, 'x-hotswap-tensor': { ...b.inputSchema['x-hotswap-tensor'], order: ['transaction_amount', 'user_age_days'] } } }),
      /takes 9 columns but the inputSchema encodes 2 \(transaction_amount, user_age_days\)/,
    ],
    [
      'string encoding for a float input',
      () => ({ inputSchema: exampleModel('sentiment', '1.0.0').metadata.inputSchema }),
      /graph has no input named "text"/,
    ],
    [
      'output missing from the graph',
      (b) => ({ outputSchema: { ...b.outputSchema, 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'probs', classes: ['legit', 'fraud'] } } }),
      /graph has no output named "probs".*its outputs are "label", "probabilities"/,
    ],
    [
      'more classes than the graph has columns',
      (b) => ({ outputSchema: { ...b.outputSchema, 'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: 'probabilities', classes: ['a', 'b', 'c'] } } }),
      /graph output "probabilities" has 2 columns but x-hotswap-outputs.classes lists 3/,
    ],
    ['input schema breaking the convention', (b) => ({ inputSchema: { ...b.inputSchema, 'x-hotswap-tensor': undefined } }), /x-hotswap-tensor: is required/],
    ['output schema breaking the convention', () => ({ outputSchema: { type: 'object' } }), /x-hotswap-outputs: is required/],
  ])('schema/graph mismatch fails the load: %s', async (_name, change, reason) => {
    const base = loadBody('fraud-detection', '1.0.0');
    const r = await ms.call('POST', '/control/versions', { auth: true, body: { ...base, versionId: 'mismatch', version: '9.9.9', ...change(base) } });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
    expect(r.body.reason).toMatch(reason);
    expect((await ms.call('GET', '/control/versions/mismatch', { auth: true })).status).toBe(404);
  });

  it('a file that is not an ONNX model fails the load', async () => {
    await ms.store.put('models/junk/1/model.onnx', Readable.from([Buffer.from('not a model')]));
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update('not a model').digest('hex');
    const r = await ms.call('POST', '/control/versions', { auth: true, body: loadBody('fraud-detection', '1.0.0', { versionId: 'junk', modelName: 'junk', artifactKey: 'models/junk/1/model.onnx', checksum: `sha256:${sha}` }) });
    expect(r.status).toBe(422);
    expect(r.body.reason).toMatch(/onnxruntime could not load the model/);
  });

  it('validates the load request body', async () => {
    const r = await ms.call('POST', '/control/versions', { auth: true, body: { ...loadBody('fraud-detection', '1.0.0'), checksum: 'md5:abc', options: { maxBatchSize: 0, turbo: true } } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_ERROR');
    const fields = r.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['checksum', 'options.maxBatchSize', 'options']));
    const malformed = await ms.call('POST', '/control/versions', { auth: true, rawBody: '{nope', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    const empty = await ms.call('POST', '/control/versions', { auth: true });
    expect(empty.status).toBe(400);
  });

  it('refuses a versionId reused for another artifact, and a second versionId for the same model version', async () => {
    const other = await ms.call('POST', '/control/versions', { auth: true, body: loadBody('fraud-detection', '1.0.0', { version: '1.0.1' }) });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('CONFLICT');
    const dup = await ms.call('POST', '/control/versions', { auth: true, body: loadBody('fraud-detection', '1.0.0', { versionId: 'another-id' }) });
    expect(dup.status).toBe(409);
  });

  it('answers 404/405 for unknown control routes and methods', async () => {
    expect((await ms.call('PUT', '/control/versions', { auth: true })).status).toBe(405);
    expect((await ms.call('POST', '/control/versions/x', { auth: true })).status).toBe(405);
    expect((await ms.call('GET', '/control/other', { auth: true })).status).toBe(404);
  });

  async function waitForState(versionId: string, state: string): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      const r = await ms.call('GET', `/control/versions/${encodeURIComponent(versionId)}`, { auth: true });
      if (r.status === 200 && r.body.state === state) return;
      await new Promise((res) => setTimeout(res, 1));
    }
    throw new Error(`${versionId} never reached ${state}`);
  }

  it('unload drains in-flight requests, then releases; new requests get 503; unload is idempotent', async () => {
    // a 1 s queue delay holds requests in flight, whatever order the client sends them in
    expect((await ms.load('fraud-detection', '4.0.0-slow', { options: { warmupRuns: 1, maxQueueDelayMicros: 1_000_000 } })).status).toBe(200);
    const id = 'fraud-detection@4.0.0-slow';
    const path = '/v1/models/fraud-detection/versions/4.0.0-slow/predict';
    const inFlight = Array.from({ length: 10 }, () => ms.call('POST', path, { auth: true, body: { features: FRAUD_ROW } }));
    for (let i = 0; (await ms.call('GET', `/control/versions/${encodeURIComponent(id)}`, { auth: true })).body.inFlight < 10; i++) {
      if (i > 500) throw new Error('requests never arrived');
      await new Promise((r) => setTimeout(r, 2));
    }
    const t0 = Date.now();
    const unloading = ms.unload(id);
    await waitForState(id, 'Draining');
    const during = await ms.call('POST', path, { auth: true, body: { features: FRAUD_ROW } });
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(during.headers.get('retry-after')).toBe('1');
    const [unload, ...served] = await Promise.all([unloading, ...inFlight]);
    expect(unload.status).toBe(200);
    expect(unload.body).toMatchObject({ versionId: id, state: 'Unloaded', wasLoaded: true, timedOut: false, inFlightAtStart: 10 });
    expect(Date.now() - t0).toBeGreaterThan(500);
    expect(served.map((r) => r.status)).toEqual(served.map(() => 200));
    const after = await ms.call('POST', path, { auth: true, body: { features: FRAUD_ROW } });
    expect(after.status).toBe(404);
    expect(after.body.error.code).toBe('VERSION_NOT_FOUND');
    const again = await ms.unload(id);
    expect(again.body).toEqual({ versionId: id, state: 'Unloaded', wasLoaded: false });
  });

  it('unload gives up waiting after its bound and refuses what is still queued', async () => {
    const short = await startTestModelServer({}, { drainTimeoutMs: 100 });
    try {
      expect((await short.load('fraud-detection', '1.0.0', { options: { maxQueueDelayMicros: 1_000_000 } })).status).toBe(200);
      const pending = short.call('POST', '/v1/models/fraud-detection/versions/1.0.0/predict', { auth: true, body: { features: FRAUD_ROW } });
      while ((await short.call('GET', '/control/versions/fraud-detection%401.0.0', { auth: true })).body.inFlight < 1) await new Promise((r) => setTimeout(r, 2));
      const unload = await short.unload('fraud-detection@1.0.0');
      expect(unload.body).toMatchObject({ timedOut: true, inFlightAtStart: 1 });
      const r = await pending;
      expect(r.status).toBe(503);
    } finally {
      await short.close();
    }
  });

  it('an unload while the version is still loading cancels the load', async () => {
    const body = loadBody('sentiment', '1.0.0', { options: { warmupRuns: 200 } });
    expect((await ms.load('sentiment', '1.0.0')).status).toBe(200); // puts the artifact in the store
    expect((await ms.unload('sentiment@1.0.0')).status).toBe(200);
    const loading = ms.call('POST', '/control/versions', { auth: true, body });
    await waitForState('sentiment@1.0.0', 'Loading');
    const unload = await ms.unload('sentiment@1.0.0');
    const load = await loading;
    expect(unload.status).toBe(200);
    expect(unload.body.wasLoaded).toBe(true);
    expect(load.status).toBe(422);
    expect(load.body.reason).toMatch(/cancelled/);
    expect((await ms.call('GET', '/control/versions/sentiment%401.0.0', { auth: true })).status).toBe(404);
  });
});
