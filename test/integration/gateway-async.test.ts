import { rmSync } from 'node:fs';
import type { TestModelServer } from '../helpers/model-server-harness';
import {
  FRAUD,
  fraudRow,
  loadOn,
  registerExample,
  setRoute,
  startFleetServer,
  startGatewayApi,
  startReplica,
  until,
  waitForReady,
  type GatewayApi,
  type RegisteredVersion,
} from '../helpers/gateway-harness';

/**
 * `?mode=async`: 202 with a status URL; requests live in MongoDB and are processed by a bounded
 * worker pool in whichever api replica claims them — so they survive an api restart.
 */
const asyncPath = (batch = false) => `/api/v1/inference/fraud-detection${batch ? '/batch' : ''}?mode=async`;

async function finished(t: GatewayApi, token: string, id: string, timeoutMs = 20_000) {
  return until(`async request ${id} to finish`, async () => {
    const r = await t.call('GET', `/api/v1/inference/${id}/status`, { token });
    return r.body.status === 'Completed' || r.body.status === 'Failed' ? r : undefined;
  }, timeoutMs, 50);
}

describe('async inference', () => {
  let t: GatewayApi;
  let ms: TestModelServer;
  let admin: string;
  let app: string;

  beforeAll(async () => {
    t = await startGatewayApi({ env: { ASYNC_POLL_MS: '100' } });
    admin = await t.tokenFor('Admin');
    app = await t.tokenFor('Application');
    const v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
    ms = await startFleetServer(t);
    await loadOn(ms, v1);
    await waitForReady(t, v1);
    await setRoute(t, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });
  });
  afterAll(async () => {
    await t?.close();
    await ms?.close();
  });

  it('accepts with 202 and a status URL, then completes with the synchronous answer', async () => {
    const accepted = await t.call('POST', asyncPath(), { token: app, body: { features: FRAUD } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ requestId: expect.any(String), status: 'Pending', statusUrl: `/api/v1/inference/${accepted.body.requestId}/status` });
    expect(accepted.headers.get('location')).toBe(accepted.body.statusUrl);
    const done = await finished(t, app, accepted.body.requestId);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ requestId: accepted.body.requestId, status: 'Completed', modelName: 'fraud-detection', environment: 'Production', attempts: 1 });
    const sync = await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } });
    expect(done.body.result).toMatchObject({ requestId: accepted.body.requestId, modelName: 'fraud-detection', version: '1.0.0', prediction: sync.body.prediction, confidence: sync.body.confidence });
    await t.sink.waitFor((rs) => rs.some((r) => r.requestId === accepted.body.requestId));
  });

  it('batches too; a request the model server rejects ends Failed with the error', async () => {
    const batch = await t.call('POST', asyncPath(true), { token: app, body: { instances: [fraudRow(1), fraudRow(2)] } });
    expect(batch.status).toBe(202);
    const b = await finished(t, app, batch.body.requestId);
    expect(b.body.result.predictions).toHaveLength(2);

    const bad = await t.call('POST', asyncPath(), { token: app, body: { features: { ...FRAUD, transaction_hour: 40 } } });
    expect(bad.status).toBe(202);
    const f = await finished(t, app, bad.body.requestId);
    expect(f.body).toMatchObject({ status: 'Failed', error: { code: 'SCHEMA_VALIDATION_ERROR', httpStatus: 400, details: [{ field: 'transaction_hour' }] } });
  });

  it('refuses at once what can never succeed, and hides other callers requests', async () => {
    expect((await t.call('POST', asyncPath(), { token: app, body: { nope: 1 } })).status).toBe(400);
    expect((await t.call('POST', '/api/v1/inference/no-such-model?mode=async', { token: app, body: { features: FRAUD } })).body.error.code).toBe('MODEL_NOT_FOUND');
    expect((await t.call('GET', '/api/v1/inference/no-such-request/status', { token: app })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/inference/whatever/status')).status).toBe(401);

    const mine = await t.call('POST', asyncPath(), { token: app, body: { features: FRAUD }, headers: { 'x-request-id': 'async-owned-1' } });
    expect(mine.body.requestId).toBe('async-owned-1');
    const ds = await t.tokenFor('DataScientist');
    expect((await t.call('GET', '/api/v1/inference/async-owned-1/status', { token: ds })).status).toBe(404);
    expect((await t.call('GET', '/api/v1/inference/async-owned-1/status', { token: admin })).status).toBe(200);
    const again = await t.call('POST', asyncPath(), { token: app, body: { features: FRAUD }, headers: { 'x-request-id': 'async-owned-1' } });
    expect(again.status).toBe(409);
  });
});

describe('async requests survive the api', () => {
  let first: Awaited<ReturnType<typeof startGatewayApi>>;
  let second: GatewayApi | undefined;
  let ms: TestModelServer | undefined;
  let v1: RegisteredVersion;
  afterAll(async () => {
    await second?.close({ drop: true });
    await ms?.close();
    if (first) rmSync(first.artifactDir, { recursive: true, force: true });
  });

  it('requests accepted by an api that stopped before processing them are completed by a new api on the same database', async () => {
    // An accept-only replica (ASYNC_WORKERS=0) stands for "the api went away before its workers got to them".
    first = await startGatewayApi({ env: { ASYNC_WORKERS: '0' } });
    const admin = await first.tokenFor('Admin');
    v1 = await registerExample(first, admin, 'fraud-detection', '1.0.0');
    ms = await startFleetServer(first);
    await loadOn(ms, v1);
    await waitForReady(first, v1);
    await setRoute(first, admin, 'fraud-detection', { pools: [{ version: '1.0.0', weight: 100 }] });

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await first.call('POST', asyncPath(i % 2 === 1), { token: admin, body: i % 2 === 1 ? { instances: [fraudRow(i)] } : { features: fraudRow(i) } });
      expect(r.status).toBe(202);
      ids.push(r.body.requestId);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const id of ids) expect((await first.call('GET', `/api/v1/inference/${id}/status`, { token: admin })).body.status).toBe('Pending');
    await first.close({ drop: false });

    second = await startReplica(first, { ASYNC_POLL_MS: '100' });
    const token = await second.tokenFor('Admin');
    for (const id of ids) {
      const done = await finished(second, token, id);
      expect(done.body.status).toBe('Completed');
      expect(done.body.result.version ?? done.body.result.predictions).toBeDefined();
    }
  });

  it('a request left Processing by a replica that died is taken over once its claim goes stale', async () => {
    const token = await second!.tokenFor('Admin');
    const col = second!.api.mongo.db.collection('async_requests');
    const now = new Date();
    await col.insertOne({
      _id: 'orphaned-1' as never,
      schemaVersion: 1,
      status: 'Processing',
      kind: 'single',
      modelName: 'fraud-detection',
      environment: 'Production',
      body: JSON.stringify({ features: FRAUD }),
      sticky: null,
      principalId: 'someone',
      traceId: 'orphaned-1',
      traceparent: null,
      createdAt: now,
      updatedAt: now,
      notBefore: now,
      attempts: 1,
      claimedBy: 'a-replica-that-died',
      claimedAt: new Date(now.getTime() - 10 * 60_000),
    });
    const done = await finished(second!, token, 'orphaned-1');
    expect(done.body).toMatchObject({ status: 'Completed', attempts: 2 });
  });

  it('while no model server can take them, requests wait (Pending, with back-off) and complete when one can', async () => {
    const token = await second!.tokenFor('Admin');
    await ms!.close();
    ms = undefined;
    // the server left rotation: its document is gone. A server an earlier test stopped without
    // removing its document stays a last resort ("panic mode") until its heartbeat is older than
    // MODEL_SERVER_LAST_RESORT_MS.
    await until(
      'the gateway to see no server',
      async () => {
        await second!.api.gateway.directory.refresh();
        return second!.api.gateway.directory.count(v1.versionId) === 0;
      },
      Number(second!.config.MODEL_SERVER_LAST_RESORT_MS) + 15_000,
      100,
    );
    const r = await second!.call('POST', asyncPath(), { token, body: { features: FRAUD } });
    expect(r.status).toBe(202);
    const pending = await until('a failed attempt', async () => {
      const s = await second!.call('GET', `/api/v1/inference/${r.body.requestId}/status`, { token });
      return s.body.status === 'Pending' && s.body.attempts >= 1 ? s : undefined;
    });
    expect(pending.body.status).toBe('Pending');

    ms = await startFleetServer(second!);
    await loadOn(ms, v1);
    const done = await finished(second!, token, r.body.requestId, 30_000);
    expect(done.body.status).toBe('Completed');
  });
});
