import autocannon from 'autocannon';
import net from 'node:net';
import { startTestModelServer, type TestModelServer } from '../helpers/model-server-harness';

const FRAUD = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };

describe('zero-downtime version changes', () => {
  let ms: TestModelServer;
  beforeAll(async () => {
    ms = await startTestModelServer();
    expect((await ms.load('fraud-detection', '1.0.0')).status).toBe(200);
  });
  afterAll(async () => {
    await ms.close();
  });

  it('v1 keeps answering 2xx while other versions load, warm up and unload on the same server', async () => {
    const load = autocannon({
      url: `${ms.url}/v1/models/fraud-detection/versions/1.0.0/predict`,
      method: 'POST',
      connections: 16,
      duration: 4,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ms.token}` },
      body: JSON.stringify({ features: FRAUD }),
    });
    await new Promise((r) => setTimeout(r, 500));
    // the control plane's work, in the middle of the load: load v2 (and two other models), unload one
    const loads = await Promise.all([
      ms.load('fraud-detection', '2.0.0', { options: { warmupRuns: 20 } }),
      ms.load('digits', '1.0.0'),
      ms.load('sentiment', '1.0.0'),
    ]);
    expect(loads.map((r) => r.status)).toEqual([200, 200, 200]);
    const v2 = await ms.call('POST', '/v1/models/fraud-detection/versions/2.0.0/predict', { auth: true, body: { features: FRAUD } });
    expect(v2.status).toBe(200);
    expect((await ms.unload('digits@1.0.0')).status).toBe(200);
    const result = await load;
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThan(500);
  });

  it('requests to v1 keep succeeding while v1 itself is unloaded only after v2 takes over', async () => {
    // what the gateway does: move traffic to v2, then unload v1; a client hitting both sees no failure
    const load = autocannon({
      url: `${ms.url}/v1/models/fraud-detection/versions/2.0.0/predict`,
      method: 'POST',
      connections: 8,
      duration: 2,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ms.token}` },
      body: JSON.stringify({ features: FRAUD }),
    });
    await new Promise((r) => setTimeout(r, 300));
    const unload = await ms.unload('fraud-detection@1.0.0');
    expect(unload.body).toMatchObject({ state: 'Unloaded', timedOut: false });
    const result = await load;
    expect(result.non2xx).toBe(0);
    expect(result.errors).toBe(0);
  });
});

describe('graceful stop', () => {
  it('close() finishes in-flight requests; a request behind them on the same connection gets 503 + Connection: close', async () => {
    const ms = await startTestModelServer();
    expect((await ms.load('fraud-detection', '1.0.0', { options: { maxQueueDelayMicros: 500_000 } })).status).toBe(200);
    const body = JSON.stringify({ features: FRAUD });
    const request = `POST /v1/models/fraud-detection/versions/1.0.0/predict HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ms.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    // one keep-alive connection: its first request is held in the batch queue, the second comes after close()
    const socket = net.connect(ms.server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise((r) => socket.once('connect', r));
    socket.write(request);
    while ((await ms.call('GET', '/control/versions', { auth: true })).body.versions[0].inFlight < 1) await new Promise((r) => setTimeout(r, 2));
    const closing = ms.close();
    await new Promise((r) => setTimeout(r, 20));
    socket.write(request);
    await closing;
    await ended;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '503']);
    const second = received.slice(received.lastIndexOf('HTTP/1.1'));
    expect(second.toLowerCase()).toContain('connection: close');
    expect(second).toContain('"code":"SERVICE_UNAVAILABLE"');
    await expect(fetch(`${ms.url}/health`)).rejects.toThrow();
  });
});
