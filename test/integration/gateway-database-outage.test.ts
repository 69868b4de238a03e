/**
 * The data plane does not need MongoDB to answer: with the database stopped, a caller the
 * gateway already knows keeps getting predictions (credentials re-verified in the background,
 * GATEWAY_AUTH_STALE_MS; routes and servers as last read; the prediction log spills to disk),
 * and the log catches up once the database is back. Against a FerretDB this test starts on its
 * own port and stops in the middle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freeStablePort } from '../../ops/free-port';
import { fileSink } from '../../ops/log-output';
import { ferretDb, type FerretDb } from '../../ops/services/ferretdb';
import type { TestModelServer } from '../helpers/model-server-harness';
import { makeTestDir } from '../helpers/services';
import { FRAUD, inferFor, loadOn, registerExample, setRoute, startFleetServer, startGatewayApi, until, waitForReady, type GatewayApi } from '../helpers/gateway-harness';

jest.setTimeout(120_000);

let dir: string;
let mongo: FerretDb;
let t: GatewayApi;
let ms: TestModelServer;

beforeAll(async () => {
  dir = makeTestDir('gateway-database-outage');
  // Not an ephemeral port: FerretDB gets this one back after 8 s down, and meanwhile any other
  // test's server or connection could have been handed an ephemeral one.
  const port = await freeStablePort();
  mongo = ferretDb({ dataDir: path.join(dir, 'ferretdb'), port, output: fileSink(path.join(dir, 'ferretdb.log')), restart: false });
  await mongo.process.start();
  t = await startGatewayApi({
    env: { MONGODB_URI: mongo.uri, GATEWAY_AUTH_CACHE_MS: '300', PREDICTION_LOG_FLUSH_MS: '100', PREDICTION_SPILL_DIR: path.join(dir, 'spill') },
  });
});

afterAll(async () => {
  // Back up first (a failed assertion may leave it down), so the processes can close cleanly.
  if (mongo && !mongo.process.running) await mongo.process.start();
  await ms?.close().catch(() => undefined);
  await t?.close({ drop: false }).catch(() => undefined);
  await mongo?.process.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('keeps answering a known caller while MongoDB is down, and logs every answer once it is back', async () => {
  const admin = await t.tokenFor('Admin');
  const app = await t.tokenFor('Application');
  const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  ms = await startFleetServer(t);
  await loadOn(ms, v1);
  await waitForReady(t, v1);
  await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
  const infer = () => t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } });
  expect((await infer()).status).toBe(200);

  await mongo.process.stop();
  // 8 s down: over 25 times the credential cache, past the auth module's own 5-s user cache
  // and the driver's 5-s server selection.
  const { statuses, answered } = await inferFor(8000, infer);
  expect(statuses.length).toBeGreaterThan(20);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  // A caller this gateway has not verified yet cannot be verified meanwhile: 503, not let in.
  const stranger = await t.call('POST', '/api/v1/inference/fraud-detection', { token: admin, body: { features: FRAUD } });
  expect(stranger.status).toBe(503);
  expect(stranger.headers.get('retry-after')).toBe('1');

  await mongo.process.start();
  const log = t.api.mongo.db.collection('prediction_log');
  await until('every answer of the outage in the prediction log', async () => {
    const found = await t.call('GET', `/api/v1/models/fraud-detection/predictions/${answered[answered.length - 1]}`, { token: admin });
    return found.status === 200;
  }, 30_000);
  for (const id of [answered[0], answered[Math.floor(answered.length / 2)]]) {
    expect((await t.call('GET', `/api/v1/models/fraud-detection/predictions/${id}`, { token: admin })).status).toBe(200);
  }
  expect(await log.countDocuments({})).toBeGreaterThan(0);
});
