/**
 * A database that accepts connections and never answers (a hung server, a partition that drops
 * packets): worse than one that refuses, because every operation waits for the driver's
 * timeouts. The gateway must keep answering a known caller, shut down in bounded time (with the
 * model server heartbeating every 200 ms all along), and lose no prediction: what it could not
 * write is spilled, and the next api on the same spill folder writes it once the database is
 * back. FerretDB on a port of this test's own, replaced by a silent listener in the middle.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freeStablePort } from '../../ops/free-port';
import { fileSink } from '../../ops/log-output';
import { ferretDb, type FerretDb } from '../../ops/services/ferretdb';
import { makeTestDir } from '../helpers/services';
import { FRAUD, inferFor, loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, startReplica, until, waitForReady } from '../helpers/gateway-harness';
import type { TestModelServer } from '../helpers/model-server-harness';

jest.setTimeout(180_000);

let dir: string;
let port: number;
let mongo: FerretDb | undefined;
let silent: net.Server | undefined;
const silentSockets = new Set<net.Socket>();
const toClose: { close: () => Promise<unknown> }[] = [];

const startFerret = async () => {
  mongo = ferretDb({ dataDir: path.join(dir, 'ferretdb'), port, output: fileSink(path.join(dir, 'ferretdb.log')), restart: false });
  await mongo.process.start();
  return mongo;
};

async function stopSilent(): Promise<void> {
  if (!silent) return;
  for (const s of silentSockets) s.destroy();
  await new Promise((r) => silent!.close(r));
  silent = undefined;
}

beforeAll(async () => {
  dir = makeTestDir('gateway-database-unresponsive');
  port = await freeStablePort(); // the silent listener and the second FerretDB take it over
  await startFerret();
});

afterAll(async () => {
  await stopSilent();
  for (const c of toClose.reverse()) await c.close().catch(() => undefined);
  await mongo?.process.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('keeps answering, shuts down in bounded time, and loses no prediction while the database never answers', async () => {
  const env = { MONGODB_URI: `mongodb://127.0.0.1:${port}/`, GATEWAY_AUTH_CACHE_MS: '300', PREDICTION_LOG_FLUSH_MS: '100', PREDICTION_SPILL_DIR: path.join(dir, 'spill') };
  const t = await startGatewayApi({ env });
  toClose.push({ close: () => t.close({ drop: false }) });
  const admin = await t.tokenFor('Admin');
  const app = await t.tokenFor('Application');
  const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  const ms: TestModelServer = await startFleetServer(t); // heartbeats every 200 ms
  toClose.push(ms);
  await loadOn(ms, v1);
  await waitForReady(t, v1);
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
  const infer = () => t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } });
  expect((await infer()).status).toBe(200);

  // The database goes silent: connections are accepted, nothing is ever answered.
  await mongo!.process.stop();
  silent = net.createServer((sock) => {
    silentSockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => silentSockets.delete(sock));
  });
  await new Promise<void>((r) => silent!.listen(port, '127.0.0.1', () => r()));

  const { statuses, answered } = await inferFor(12_000, infer);
  expect(statuses.length).toBeGreaterThan(30);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(silentSockets.size).toBeGreaterThan(0); // the driver really was talking to the silent listener

  // Shutdown is bounded. Before the heartbeat coalesced, the model server's shutdown queued
  // behind one 5–15-s beat per 200-ms tick of the outage (minutes); now: the beat in progress,
  // one more, the removal, each cut at 3 s. The api's writes fail by the driver's timeouts.
  const t0 = Date.now();
  await ms.close();
  const msCloseMs = Date.now() - t0;
  await t.close({ drop: false });
  const apiCloseMs = Date.now() - t0 - msCloseMs;
  expect(msCloseMs).toBeLessThan(15_000);
  expect(apiCloseMs).toBeLessThan(60_000);

  // The database answers again; the next api on the same spill folder replays what was spilled.
  await stopSilent();
  await startFerret();
  const next = await startReplica(t, env);
  toClose.push({ close: () => next.close({ drop: false }) });
  const nextAdmin = await next.tokenFor('Admin');
  await until(
    'every answer of the outage in the prediction log',
    async () => {
      for (const id of [answered[0], answered[Math.floor(answered.length / 2)], answered[answered.length - 1]]) {
        if ((await next.call('GET', `/api/v1/models/fraud-detection/predictions/${id}`, { token: nextAdmin })).status !== 200) return false;
      }
      return true;
    },
    60_000,
    200,
  );
  const missing: string[] = [];
  for (const id of answered) if ((await next.call('GET', `/api/v1/models/fraud-detection/predictions/${id}`, { token: nextAdmin })).status !== 200) missing.push(id);
  expect(missing).toEqual([]);
  process.stdout.write(`UNRESPONSIVE-DB model server close ${msCloseMs} ms, api close ${apiCloseMs} ms, ${answered.length} answers during the silence\n`);
});
