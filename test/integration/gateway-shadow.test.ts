import { metricValue, type TestModelServer } from '../helpers/model-server-harness';
import {
  fraudRow,
  loadOn,
  registerExample,
  setRoute,
  startFleetServer,
  startGatewayApi,
  unloadFrom,
  waitForReady,
  type GatewayApi,
  type RegisteredVersion,
} from '../helpers/gateway-harness';

/**
 * Shadow mirroring: a sampled copy of each request goes to the shadow version after the
 * primary answered. Callers see exactly what they would without it; shadow failures stay in
 * the prediction log; a full mirror queue drops copies and counts them.
 */
describe('shadow mirroring', () => {
  let t: GatewayApi;
  let ms: TestModelServer;
  let admin: string;
  let app: string;
  let v1: RegisteredVersion;
  let v2: RegisteredVersion;

  beforeAll(async () => {
    t = await startGatewayApi();
    admin = await t.tokenFor('Admin');
    app = await t.tokenFor('Application');
    v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
    v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
    ms = await startFleetServer(t);
    await loadOn(ms, v1);
    await loadOn(ms, v2);
    await waitForReady(t, v2);
  });
  afterAll(async () => {
    await t?.close();
    await ms?.close();
  });

  const infer = (features: unknown, id: string) => t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features }, headers: { 'x-request-id': id } });
  const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined, latencyMs: undefined, timestamp: undefined });

  it('leaves responses identical and records each shadow answer against its primary', async () => {
    // One at a time: concurrent rows are batched (by the gateway and the model server), and a
    // batched float32 run may differ from a single-row run in the last bits.
    const sequential = async (prefix: string) => {
      const out = [];
      for (let i = 0; i < 20; i++) out.push(await infer(fraudRow(i), `${prefix}-${i}`));
      return out;
    };
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
    const plain = await sequential('plain');
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '2.0.0', percentage: 100 } });
    const before = t.sink.records.length;
    const mirrored = await sequential('mirrored');
    for (let i = 0; i < 20; i++) {
      expect(mirrored[i].status).toBe(200);
      expect(strip(mirrored[i].body)).toEqual(strip(plain[i].body));
      expect(mirrored[i].body.version).toBe('1.0.0');
    }
    await t.api.gateway.shadow.idle();
    await t.sink.waitFor((rs) => rs.slice(before).filter((r) => r.role === 'shadow').length >= 20);
    const recs = t.sink.records.slice(before);
    const shadows = recs.filter((r) => r.role === 'shadow');
    expect(shadows).toHaveLength(20);
    for (const s of shadows) {
      expect(s).toMatchObject({ version: '2.0.0', versionId: v2.versionId, status: 'Completed', modelName: 'fraud-detection', environment: 'Production' });
      expect(s.primaryRequestId).toMatch(/^mirrored-\d+$/);
      expect(s.requestId).toBe(`${s.primaryRequestId}:shadow`);
      const primary = recs.find((r) => r.requestId === s.primaryRequestId)!;
      expect(primary).toMatchObject({ role: 'primary', version: '1.0.0' });
      expect(s.features).toEqual(primary.features);
      expect(s.outputs).toEqual({ label: expect.any(String), probabilities: expect.any(Object) });
      // What the primary answered travels with the shadow record (for the agreement metric).
      expect(s.primaryOutputs).toEqual(primary.outputs);
    }
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricValue(metrics, 'hotswap_inference_requests_total', { model: 'fraud-detection', version: '2.0.0', role: 'shadow', status: '200' })).toBe(20);
  });

  it('mirrors a sampled share, and batches row by row', async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '2.0.0', percentage: 30 } });
    const before = t.sink.records.length;
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => infer(fraudRow(i + k), `sampled-${i + k}`)));
    await t.api.gateway.shadow.idle();
    const n = t.sink.records.slice(before).filter((r) => r.role === 'shadow').length;
    // n ~ Binomial(200, 0.3): mean 60, sd 6.5
    expect(n).toBeGreaterThan(30);
    expect(n).toBeLessThan(90);

    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '2.0.0', percentage: 100 } });
    const b0 = t.sink.records.length;
    const batch = await t.call('POST', '/api/v1/inference/fraud-detection/batch', { token: app, body: { instances: [fraudRow(1), fraudRow(2), fraudRow(3)] }, headers: { 'x-request-id': 'shadow-batch' } });
    expect(batch.status).toBe(200);
    await t.api.gateway.shadow.idle();
    const rows = t.sink.records.slice(b0).filter((r) => r.role === 'shadow');
    expect(rows.map((r) => r.primaryRequestId).sort()).toEqual(['shadow-batch:0', 'shadow-batch:1', 'shadow-batch:2']);
    for (const row of rows) expect(row.primaryOutputs).toEqual(batch.body.predictions[Number(row.primaryRequestId!.split(':')[1])]);
  });

  it('keeps shadow failures away from callers', async () => {
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '2.0.0', percentage: 100 } });
    // the shadow version disappears from every server while the route still points at it
    await unloadFrom(ms, v2);
    const before = t.sink.records.length;
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => infer(fraudRow(i), `failing-shadow-${i}`)));
    expect(rs.map((r) => r.status)).toEqual(new Array(10).fill(200));
    expect(new Set(rs.map((r) => r.body.version))).toEqual(new Set(['1.0.0']));
    await t.api.gateway.shadow.idle();
    const shadows = t.sink.records.slice(before).filter((r) => r.role === 'shadow');
    expect(shadows).toHaveLength(10);
    for (const s of shadows) expect(s).toMatchObject({ status: 'Failed', errorCode: 'SERVICE_UNAVAILABLE', outputs: null });
    await loadOn(ms, v2);
  });
});

describe('a full shadow queue', () => {
  let t: GatewayApi;
  let ms: TestModelServer;
  afterAll(async () => {
    await t?.close();
    await ms?.close();
  });

  it('drops mirror copies and counts them; primaries are untouched', async () => {
    t = await startGatewayApi({ env: { SHADOW_QUEUE_SIZE: '1', SHADOW_CONCURRENCY: '1' } });
    const admin = await t.tokenFor('Admin');
    const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
    const slow = await registerExample(t, admin, 'fraud-detection', '4.0.0-slow');
    ms = await startFleetServer(t);
    await loadOn(ms, v1);
    await loadOn(ms, slow);
    await waitForReady(t, slow);
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }], shadow: { version: '4.0.0-slow', percentage: 100 } });
    const n = 60;
    const before = t.sink.records.length;
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: fraudRow(i) } })));
    expect(rs.every((r) => r.status === 200 && r.body.version === '1.0.0')).toBe(true);
    await t.api.gateway.shadow.idle();
    const dropped = t.api.gateway.shadow.dropped;
    const shadowed = t.sink.records.slice(before).filter((r) => r.role === 'shadow').length;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + shadowed).toBe(n);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricValue(metrics, 'hotswap_shadow_dropped_total', { model: 'fraud-detection' })).toBe(dropped);
  });
});
