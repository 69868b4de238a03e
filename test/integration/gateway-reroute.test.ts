import { readFileSync } from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { ServerRegistry } from '../../infra/mongo/server-registry';
import { metricValue, type TestModelServer } from '../helpers/model-server-harness';
import { FRAUD, loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, until, waitForReady, type GatewayApi } from '../helpers/gateway-harness';

/**
 * The race of "switch the route, then unload the old version": a request resolved to the old
 * version just before the switch can reach the servers after the unload, and find it gone
 * everywhere. The gateway then goes once more through the routing table as it is now.
 *
 * Made deterministic with a stand-in upstream announced (by heartbeat) as the only server
 * holding 1.0.0: it keeps each request until the route has moved to 2.0.0, then answers 404,
 * as a real model server does for a version it has unloaded. 2.0.0 is on a real model server.
 */
const reference = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'reference-predictions.json'), 'utf8')).models as Record<
  string,
  Record<string, { rows: { tensor: number[] }[] }>
>;
const row = reference['fraud-detection']['1.0.0'].rows[0];

let t: GatewayApi;
let ms: TestModelServer;
let standIn: http.Server | undefined;
let beating: NodeJS.Timeout | undefined;
afterAll(async () => {
  if (beating) clearInterval(beating);
  standIn?.closeAllConnections();
  standIn?.close();
  await ms?.close();
  await t?.close();
});

it('reroutes a request whose version was unloaded under it to the version the route now picks (native and OIP v2)', async () => {
  t = await startGatewayApi();
  const admin = await t.tokenFor('Admin');
  const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  const v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
  ms = await startFleetServer(t);
  await loadOn(ms, v2);
  await waitForReady(t, v2);

  // Before the switch it holds each request; after, it answers at once (the version is gone).
  const held: Array<() => void> = [];
  let arrivals = 0;
  let unloaded = false;
  standIn = http.createServer((req, res) => {
    arrivals++;
    req.resume();
    const notHere = () => {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'VERSION_NOT_FOUND', message: 'not loaded here' } }));
    };
    if (unloaded) notHere();
    else held.push(notHere);
  });
  standIn.listen(0, '127.0.0.1');
  await once(standIn, 'listening');
  const registry = new ServerRegistry(t.api.mongo.db);
  const beat = () =>
    registry.heartbeat({
      _id: 'stand-in',
      url: `http://127.0.0.1:${(standIn!.address() as { port: number }).port}`,
      loaded: [{ modelName: 'fraud-detection', version: '1.0.0', versionId: v1.versionId, state: 'Ready' }],
      health: 'healthy',
      startedAt: new Date(),
    });
  await beat();
  beating = setInterval(() => void beat().catch(() => undefined), 500);
  await until('the gateway to list the stand-in for 1.0.0', async () => {
    await t.api.gateway.directory.refresh();
    return t.api.gateway.directory.count(v1.versionId) === 1;
  });
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });

  const native = t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: FRAUD }, headers: { 'x-request-id': 'caught-native' } });
  const oip = t.call('POST', '/v2/models/fraud-detection/infer', {
    token: admin,
    body: { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, row.tensor.length], data: row.tensor }] },
    headers: { 'x-request-id': 'caught-oip' },
  });
  await until('both requests to reach the stand-in', async () => held.length === 2);
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '2.0.0', weight: 100 }] });
  unloaded = true;
  for (const answer404 of held.splice(0)) answer404();

  const [n, o] = await Promise.all([native, oip]);
  expect({ status: n.status, version: n.body.version }).toEqual({ status: 200, version: '2.0.0' });
  expect(o.status).toBe(200);
  expect(o.body).toMatchObject({ model_name: 'fraud-detection', model_version: '2.0.0' });
  // The log and the metrics name the version that answered; the detour is counted.
  await until('both predictions to be recorded', async () => t.sink.records.filter((r) => r.requestId.startsWith('caught-')).length === 2);
  for (const r of t.sink.records.filter((x) => x.requestId.startsWith('caught-'))) expect(r).toMatchObject({ version: '2.0.0', status: 'Completed' });
  const metrics = await (await fetch(`${t.url}/metrics`)).text();
  expect(metricValue(metrics, 'hotswap_gateway_retries_total', { reason: 'rerouted' })).toBe(2);

  // A pinned request is not rerouted: it asked for that version, which is gone.
  const before = arrivals;
  const pinned = await t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: FRAUD, version: '1.0.0' } });
  expect(arrivals).toBeGreaterThan(before);
  expect(pinned.status).toBe(503);
  expect(pinned.body.error.code).toBe('SERVICE_UNAVAILABLE');
});
