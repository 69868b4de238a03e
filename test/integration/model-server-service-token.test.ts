import { FRAUD, loadOn, serveExample, startFleetServer, startGatewayApi, waitForReady, type GatewayApi, type RegisteredVersion } from '../helpers/gateway-harness';
import { startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';

/**
 * The authenticated data plane: a model server answers inference (native and OIP v2) only with
 * the service token, so a caller who reaches its port cannot get around the api's
 * authentication, rate limits and prediction log. Health and metadata stay open.
 */
const TENSOR = { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 9], data: [115.04, 0, 0, 1, 0, 0, 107, 4, 1] }] };

describe('a model server', () => {
  let ms: TestModelServer;
  beforeAll(async () => {
    ms = await startTestModelServer();
    expect((await ms.load('fraud-detection', '1.0.0')).status).toBe(200);
  });
  afterAll(() => ms?.close());

  const inference: [string, string, unknown][] = [
    ['native single', '/v1/models/fraud-detection/versions/1.0.0/predict', { features: FRAUD }],
    ['native batch', '/v1/models/fraud-detection/versions/1.0.0/predict/batch', { instances: [FRAUD, FRAUD] }],
    ['OIP v2 infer, versioned', '/v2/models/fraud-detection/versions/1.0.0/infer', TENSOR],
    ['OIP v2 infer, newest version', '/v2/models/fraud-detection/infer', TENSOR],
  ];

  it.each(inference)('refuses %s without the service token: 401 with its protocol’s error body', async (_name, path, body) => {
    const wrong = (ch: string) => `Bearer ${ms.token.slice(0, -1)}${ch}`;
    const refused: Record<string, string>[] = [
      {},
      { authorization: wrong(ms.token.endsWith('A') ? 'B' : 'A') }, // same length, one character off
      { authorization: 'Bearer short' },
      { authorization: `bearer ${ms.token}` }, // the scheme is spelled exactly
      { authorization: ms.token },
      { 'x-api-key': ms.token },
    ];
    for (const headers of refused) {
      const r = await ms.call('POST', path, { body, headers });
      expect({ headers, status: r.status }).toEqual({ headers, status: 401 });
      // Native routes answer the spec's error body; /v2 answers the Open Inference Protocol's {"error": "<message>"}.
      if (path.startsWith('/v2/')) expect(r.body).toEqual({ error: expect.stringContaining('service token') });
      else expect(r.body.error).toEqual({ code: 'UNAUTHORIZED', message: expect.stringContaining('service token'), details: [], traceId: null, timestamp: expect.any(String) });
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it.each(inference)('answers %s with the service token', async (_name, path, body) => {
    const r = await ms.call('POST', path, { auth: true, body });
    expect(r.status).toBe(200);
  });

  it('keeps a connection usable after refusing a request on it', async () => {
    // The refused request's body is drained, so the next request on the keep-alive socket parses.
    for (let i = 0; i < 3; i++) {
      expect((await ms.call('POST', inference[0][1], { body: { features: FRAUD } })).status).toBe(401);
      expect((await ms.call('POST', inference[0][1], { auth: true, body: { features: FRAUD } })).status).toBe(200);
    }
  });

  it('leaves health, OIP health, metadata and readiness open', async () => {
    for (const path of ['/health', '/v2', '/v2/health/live', '/v2/health/ready', '/v2/models/fraud-detection', '/v2/models/fraud-detection/versions/1.0.0', '/v2/models/fraud-detection/ready', '/v2/models/fraud-detection/versions/1.0.0/ready']) {
      const r = await ms.call('GET', path);
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
    }
  });
});

describe('the gateway', () => {
  let t: GatewayApi;
  const servers: TestModelServer[] = [];
  let app: string;
  let v1: RegisteredVersion;

  beforeAll(async () => {
    t = await startGatewayApi();
    app = await t.tokenFor('Application');
    const served = await serveExample(t, await t.tokenFor('Admin'), 'fraud-detection', '1.0.0');
    v1 = served.registered;
    servers.push(served.server);
  });
  afterAll(async () => {
    await t?.close();
    for (const s of servers) await s.close();
  });

  it('sends the service token: native and OIP v2 inference answer through it', async () => {
    const native = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } });
    expect(native.status).toBe(200);
    expect(native.body).toMatchObject({ modelName: 'fraud-detection', version: '1.0.0' });
    const batch = await t.call('POST', '/api/v1/inference/fraud-detection/batch', { token: app, body: { instances: [FRAUD, FRAUD] } });
    expect(batch.status).toBe(200);
    const oip = await t.call('POST', '/v2/models/fraud-detection/infer', { token: app, body: TENSOR });
    expect(oip.status).toBe(200);
    expect(oip.body).toMatchObject({ model_name: 'fraud-detection', model_version: '1.0.0' });
  });

  it("answers 500, never the caller's 401, when a model server refuses its token (SERVICE_TOKEN differs)", async () => {
    const stranger = await startFleetServer(t, { SERVICE_TOKEN: 'another-service-token-0123456789' });
    servers.push(stranger);
    await loadOn(stranger, v1);
    await waitForReady(t, v1, 2);
    await servers[0].close(); // leaves the registry too: only the stranger holds 1.0.0 now
    let r = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } });
    for (let i = 0; i < 50 && r.status !== 500; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } });
    }
    expect(r.status).toBe(500);
    expect(r.body.error).toMatchObject({ code: 'INTERNAL_ERROR', message: expect.stringContaining('SERVICE_TOKEN') });
  });
});
