/**
 * The audit trail through the real api (in-process, its own FerretDB/MongoDB database): API
 * calls recorded with before/after, the list's filters and permission, workflow decisions from
 * the projection activity, concurrent appends, tampering found by verify, and the routing
 * table in force at a time.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createProjectionActivities } from '../../activities/projection';
import type { DeploymentActivityDeps } from '../../activities/deployment-deps';
import { initialDeploymentView } from '../../domain/deployments/deployment-status';
import { AuditRepository } from '../../infra/mongo/audit-repository';
import { DeploymentRepository } from '../../infra/mongo/deployment-repository';
import { loadOn, registerExample, serveExample, startGatewayApi, waitForReady, type GatewayApi } from '../helpers/gateway-harness';
import type { TestModelServer } from '../helpers/model-server-harness';

let t: GatewayApi;
let admin: string;
let server: TestModelServer;
let modelId: string;
let beforeFirstRoute: string;
let betweenRoutes: string;
let putRequestId: string;

const audit = async (query: string, token = admin) => t.call('GET', `/api/v1/audit?${query}`, { token });

beforeAll(async () => {
  t = await startGatewayApi();
  admin = await t.tokenFor('Admin');
  beforeFirstRoute = new Date(Date.now() - 1000).toISOString();
  const served = await serveExample(t, admin, 'fraud-detection', '1.0.0');
  server = served.server;
  modelId = served.registered.modelId;
  const v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
  await loadOn(server, v2);
  await waitForReady(t, v2);
  betweenRoutes = new Date().toISOString();
  const put = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', {
    token: admin,
    body: { pools: [{ version: '1.0.0', weight: 80 }, { version: '2.0.0', weight: 20, role: 'canary' }] },
    headers: { 'x-request-id': 'audit-test-put-1' },
  });
  expect(put.status).toBe(200);
  putRequestId = put.headers.get('x-request-id')!;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('API calls', () => {
  it('records a routing change with who, what, target, before/after, request id and trace id', async () => {
    const res = await audit(`action=${encodeURIComponent('PUT /api/v1/routing')}&requestId=${putRequestId}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    const [r] = res.body.records;
    expect(r).toMatchObject({
      actor: { type: 'user', name: 'admin', role: 'Admin' },
      action: 'PUT /api/v1/routing/:modelName/:environment',
      target: { type: 'routing', id: `${modelId}:Production` },
      status: 200,
      requestId: 'audit-test-put-1',
      traceId: expect.any(String),
    });
    expect(r.before).toMatchObject({ revision: 1, pools: [{ version: '1.0.0', weight: 100 }] });
    expect(r.after).toMatchObject({ revision: 2, pools: [{ version: '1.0.0', weight: 80 }, { version: '2.0.0', weight: 20, role: 'canary' }] });
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records a deployment command, refused ones with their status', async () => {
    const res = await t.call('POST', '/api/v1/deployments/no-such-deployment/pause', { token: admin, body: {} });
    expect(res.status).toBe(404);
    const found = await audit(`requestId=${res.headers.get('x-request-id')}`);
    expect(found.body.records).toEqual([
      expect.objectContaining({ action: 'POST /api/v1/deployments/:id/pause', target: { type: 'deployments', id: 'no-such-deployment' }, status: 404, actor: expect.objectContaining({ name: 'admin' }) }),
    ]);
  });

  it('records user and API key changes with before/after, and never a password or a key', async () => {
    const created = await t.call('POST', '/api/v1/users', { token: admin, body: { username: 'audited-user', password: 'Secret-Passw0rd!', role: 'DataScientist' } });
    expect(created.status).toBe(201);
    const changed = await t.call('PATCH', `/api/v1/users/${created.body.id}`, { token: admin, body: { role: 'MLEngineer', password: 'Other-Passw0rd!' } });
    expect(changed.status).toBe(200);
    const [patch] = (await audit(`requestId=${changed.headers.get('x-request-id')}`)).body.records;
    expect(patch).toMatchObject({ target: { type: 'user', id: created.body.id }, before: { role: 'DataScientist' }, after: { role: 'MLEngineer' }, details: { passwordChanged: true } });
    const key = await t.call('POST', '/api/v1/api-keys', { token: admin, body: { name: 'audited-key' } });
    expect(key.status).toBe(201);
    const [keyRecord] = (await audit(`requestId=${key.headers.get('x-request-id')}`)).body.records;
    expect(keyRecord).toMatchObject({ target: { type: 'api-key', id: key.body.id }, after: { name: 'audited-key' } });
    const text = JSON.stringify((await audit('limit=100')).body.records);
    for (const secret of ['Secret-Passw0rd!', 'Other-Passw0rd!', key.body.key, 'passwordHash']) expect(text).not.toContain(secret);
  });

  it('does not record reads', async () => {
    const read = await t.call('GET', '/api/v1/routing/fraud-detection/Production', { token: admin });
    expect(read.status).toBe(200);
    expect((await audit(`requestId=${read.headers.get('x-request-id')}`)).body.total).toBe(0);
  });

  it('filters by actor and time, pages newest first, and needs audit:read', async () => {
    const all = await audit('limit=100');
    expect(all.body.total).toBeGreaterThanOrEqual(3);
    const seqs = all.body.records.map((r: { seq: number }) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const page = await audit('limit=1&offset=1');
    expect(page.body).toMatchObject({ limit: 1, offset: 1, total: all.body.total, records: [{ seq: seqs[1] }] });
    expect((await audit('actor=nobody')).body.total).toBe(0);
    type R = { actor: { name: string | null }; at: string };
    const byAdminSince = all.body.records.filter((r: R) => r.actor.name === 'admin' && r.at >= beforeFirstRoute).length;
    expect(byAdminSince).toBeGreaterThanOrEqual(3);
    expect((await audit(`limit=100&actor=admin&from=${encodeURIComponent(beforeFirstRoute)}`)).body.total).toBe(byAdminSince);
    expect((await audit(`to=${encodeURIComponent(beforeFirstRoute)}`)).body.total).toBe(0);

    expect((await audit('', await t.tokenFor('DataScientist'))).status).toBe(403);
    expect((await audit('', await t.tokenFor('MLEngineer'))).status).toBe(200);
    const bad = await audit('from=yesterday&limit=0&colour=red');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['query.colour', 'query.from', 'query.limit']);
  });
});

describe('the API document', () => {
  it('lists the audit, routing-history and request-deletion routes', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
    expect(Object.keys(doc.paths['/api/v1/audit'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/v1/audit/verify'])).toEqual(['get']);
    expect(doc.paths['/api/v1/audit'].get.description).toContain('audit:read');
    expect(doc.paths['/api/v1/routing/{modelName}/{environment}/history'].get.parameters.map((p: { name: string }) => p.name)).toContain('at');
    expect(doc.paths['/api/v1/models/{id}/predictions/{requestId}'].delete.description).toContain('models:delete');
  });
});

describe('workflow decisions', () => {
  it('are appended once each by the projection activity, also when it runs again', async () => {
    const deployments = new DeploymentRepository(t.api.mongo.db);
    const activities = createProjectionActivities({ deployments, audit: new AuditRepository(t.api.mongo.db) } as unknown as DeploymentActivityDeps);
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'deploy-fraud-Production', runId: 'run-1' } });
    const who = { deploymentId: 'dep-audit-1', modelId, modelName: 'fraud-detection', versionId: 'v2', version: '2.0.0', strategy: 'Canary' as const, environment: 'Production' as const, initiatedBy: 'admin' };
    const history = [
      { at: '2026-12-01T10:00:00.000Z', step: 'setWeight 10%', decision: 'Continue', reason: 'traffic moved' },
      { at: '2026-12-01T10:05:00.000Z', step: 'analysis PT5M', decision: 'Continue', reason: 'all checks passed' },
    ];
    const view = { ...initialDeploymentView(who, false, '2026-12-01T09:59:00.000Z', history), sequence: 1 };
    await env.run(activities.recordDeploymentStatus, view);
    await env.run(activities.recordDeploymentStatus, view); // a retried activity
    const promoted = { ...view, sequence: 2, status: 'Active' as const, history: [...history, { at: '2026-12-01T10:10:00.000Z', step: 'promote', decision: 'Promoted', reason: 'all steps passed' }] };
    await env.run(activities.recordDeploymentStatus, promoted);
    await env.run(activities.recordDeploymentStatus, promoted);

    const res = await audit('action=deployment.decision&targetId=dep-audit-1');
    expect(res.body.total).toBe(3);
    expect(res.body.records.map((r: { details: { step: string } }) => r.details.step)).toEqual(['promote', 'analysis PT5M', 'setWeight 10%']);
    expect(res.body.records[0]).toMatchObject({ actor: { type: 'workflow', id: 'deploy-fraud-Production' }, status: null, after: { status: 'Active' }, details: { decision: 'Promoted', modelName: 'fraud-detection' } });
  });
});

describe('the hash chain', () => {
  it('stays gapless under concurrent appends from several writers', async () => {
    const writers = [0, 1, 2].map(() => new AuditRepository(t.api.mongo.db)); // three "replicas", each with its own idea of the tail
    const entry = (i: number) => ({ actor: { type: 'anonymous' as const, id: null, name: null, role: null }, action: 'test.concurrent', target: null, status: 200, requestId: `c-${i}`, traceId: null });
    const appended = await Promise.all(Array.from({ length: 12 }, (_, i) => writers[i % 3].append(entry(i))));
    expect(new Set(appended).size).toBe(12);
    const verify = await t.call('GET', '/api/v1/audit/verify', { token: admin });
    expect(verify.body).toMatchObject({ valid: true, firstBrokenSeq: null, problem: null });
    expect(verify.body.checked).toBe(verify.body.lastSeq);
    expect(verify.body.lastSeq).toBeGreaterThanOrEqual(Math.max(...appended));
  });

  it('detects an edited record and a removed one', async () => {
    const col = t.api.mongo.db.collection<{ _id: number }>('audit_log');
    const verify = async () => (await t.call('GET', '/api/v1/audit/verify', { token: admin })).body;
    const [edited] = (await audit(`requestId=${putRequestId}`)).body.records;
    await col.updateOne({ _id: edited.seq }, { $set: { 'after.pools.1.weight': 50 } });
    expect(await verify()).toMatchObject({ valid: false, firstBrokenSeq: edited.seq, problem: { kind: 'hash-mismatch' } });

    await col.updateOne({ _id: edited.seq }, { $set: { 'after.pools.1.weight': 20 } });
    expect((await verify()).valid).toBe(true);

    const removedSeq = edited.seq + 1;
    await col.deleteOne({ _id: removedSeq });
    expect(await verify()).toMatchObject({ valid: false, firstBrokenSeq: removedSeq, problem: { kind: 'missing' } });
  });
});

describe('routing history', () => {
  it('answers which versions served, with which weights, at a time', async () => {
    const at = (time: string) => t.call('GET', `/api/v1/routing/fraud-detection/Production/history?at=${encodeURIComponent(time)}`, { token: admin });
    const first = await at(betweenRoutes);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ revision: 1, pools: [{ version: '1.0.0', weight: 100 }], inForceUntil: expect.any(String) });
    const now = await at(new Date().toISOString());
    expect(now.body).toMatchObject({ revision: 2, pools: [{ version: '1.0.0', weight: 80 }, { version: '2.0.0', weight: 20 }], inForceUntil: null });
    expect(Date.parse(first.body.inForceUntil)).toBe(Date.parse(now.body.inForceFrom));

    expect((await at(beforeFirstRoute)).status).toBe(404);
    const bad = await t.call('GET', '/api/v1/routing/fraud-detection/Production/history?at=last-tuesday', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ field: 'query.at', message: expect.any(String) }]);
    expect((await t.call('GET', '/api/v1/routing/fraud-detection/Production/history', { token: admin })).status).toBe(400);
  });
});
