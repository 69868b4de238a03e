import autocannon from 'autocannon';
import { GatewayRegistry } from '../../infra/mongo/gateway-registry';
import { metricValue, type TestModelServer } from '../helpers/model-server-harness';
import {
  FRAUD,
  loadOn,
  registerExample,
  setRoute,
  spawnModelServer,
  startFleetServer,
  startGatewayApi,
  startReplica,
  unloadFrom,
  until,
  waitForReady,
  type ChildModelServer,
  type GatewayApi,
  type RegisteredVersion,
} from '../helpers/gateway-harness';

/** Continuous load through the gateway; resolves with autocannon's result. */
function load(t: GatewayApi, token: string, seconds: number, connections = 16) {
  return autocannon({
    url: `${t.url}/api/v1/inference/fraud-detection`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ features: FRAUD }),
  });
}

describe('routing revisions on two gateway replicas', () => {
  let t1: Awaited<ReturnType<typeof startGatewayApi>>;
  let t2: GatewayApi;
  let ms: TestModelServer;
  afterAll(async () => {
    await t2?.close({ drop: false });
    await t1?.close();
    await ms?.close();
  });

  it('every live gateway applies a new revision within one second and reports it', async () => {
    t1 = await startGatewayApi();
    t2 = await startReplica(t1);
    const admin = await t1.tokenFor('Admin');
    const v1 = await registerExample(t1, admin, 'fraud-detection', '1.0.0');
    const v2 = await registerExample(t1, admin, 'fraud-detection', '2.0.0');
    ms = await startFleetServer(t1);
    await loadOn(ms, v1);
    await loadOn(ms, v2);
    await waitForReady(t1, v2);
    await setRoute(t1, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });

    const registry = new GatewayRegistry(t1.api.mongo.db);
    const token2 = await t2.tokenFor('Admin');
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const version = i % 2 === 0 ? '2.0.0' : '1.0.0';
      const t0 = Date.now();
      const put = await t1.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version, weight: 100 }] } });
      expect(put.status).toBe(200);
      const wait = await registry.waitForRevision(v1.modelId, 'Production', put.body.revision, 1000);
      waits.push(Date.now() - t0);
      expect(wait).toMatchObject({ reached: true, gateways: 2, lagging: [] });
      // and the replica that did not take the PUT really routes by it
      const r = await t2.call('POST', '/api/v1/inference/fraud-detection', { token: token2, body: { features: FRAUD } });
      expect(r.body.version).toBe(version);
    }
    expect(Math.max(...waits)).toBeLessThan(1000);
    const text = await (await fetch(`${t2.url}/metrics`)).text();
    expect(metricValue(text, 'hotswap_routing_revision', { model: 'fraud-detection', environment: 'Production' })).toBeGreaterThanOrEqual(7);
  });

  it('waitForRevision names the gateways that lag, and stops waiting for one that left', async () => {
    const registry = new GatewayRegistry(t1.api.mongo.db);
    const current = (await t1.call('GET', '/api/v1/routing/fraud-detection/Production', { token: await t1.tokenFor('Admin') })).body;
    const future = await registry.waitForRevision(current.modelId, 'Production', current.revision + 1, 200);
    expect(future.reached).toBe(false);
    expect(future.lagging.map((l) => l.gatewayId).sort()).toEqual([t1.api.gateway.id, t2.api.gateway.id].sort());
    expect(future.lagging[0].revision).toBe(current.revision);
    await t2.close({ drop: false });
    t2 = undefined as never;
    const alone = await registry.check(current.modelId, 'Production', current.revision);
    expect(alone).toMatchObject({ reached: true, gateways: 1 });
  });
});

describe('hot swap under continuous load', () => {
  let t: GatewayApi;
  let servers: TestModelServer[] = [];
  afterAll(async () => {
    await t?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('load v2 while v1 serves, switch the route, unload v1: zero non-2xx, zero connection errors', async () => {
    t = await startGatewayApi();
    const admin = await t.tokenFor('Admin');
    const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
    const v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
    servers = await Promise.all([startFleetServer(t), startFleetServer(t)]);
    for (const s of servers) await loadOn(s, v1);
    await waitForReady(t, v1, 2);
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
    const before = t.sink.records.length;

    const running = load(t, admin, 8);
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all(servers.map((s) => loadOn(s, v2, { warmupRuns: 20 })));
    await waitForReady(t, v2, 2);
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '2.0.0', weight: 100 }] });
    const switchedAt = t.sink.records.length;
    await Promise.all(servers.map((s) => unloadFrom(s, v1)));
    const result = await running;

    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBeGreaterThan(200);
    const served = t.sink.records.slice(before);
    expect(served.some((r) => r.version === '1.0.0')).toBe(true);
    expect(served.some((r) => r.version === '2.0.0')).toBe(true);
    // once every gateway serves the new revision, nothing goes to v1 any more
    expect(t.sink.records.slice(switchedAt + 50).every((r) => r.version === '2.0.0')).toBe(true);
    expect(served.every((r) => r.status === 'Completed')).toBe(true);
  });
});

describe('a model server dies under load', () => {
  let t: GatewayApi;
  const children: ChildModelServer[] = [];
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await t?.close();
  });

  it('kill -9 one of two model servers: zero failed requests', async () => {
    t = await startGatewayApi({ env: { MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: '5000' } });
    const admin = await t.tokenFor('Admin');
    const v1: RegisteredVersion = await registerExample(t, admin, 'fraud-detection', '1.0.0');
    children.push(...(await Promise.all([spawnModelServer(t), spawnModelServer(t)])));
    for (const c of children) await loadOn(c, v1);
    await waitForReady(t, v1, 2);
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
    await until('the gateway to know both servers', async () => {
      await t.api.gateway.directory.refresh();
      return t.api.gateway.directory.count(v1.versionId) === 2;
    });

    const running = load(t, admin, 6);
    await new Promise((r) => setTimeout(r, 2000));
    await children[0].kill('SIGKILL');
    const result = await running;

    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBeGreaterThan(200);
    const served = t.sink.records;
    expect(served.every((r) => r.status === 'Completed')).toBe(true);
    // both servers took traffic before the kill; the survivor took all of it after
    expect(new Set(served.map((r) => r.serverId))).toEqual(new Set([children[0].id, children[1].id]));
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const retries = ['connect', 'reset', 'unavailable', 'not_loaded'].map((reason) => metricValue(text, 'hotswap_gateway_retries_total', { reason }) ?? 0);
    expect(retries.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});
