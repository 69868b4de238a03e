import { randomBytes } from 'node:crypto';
import { RoutingRepository } from '../../infra/mongo/routing-repository';
import { ServerRegistry } from '../../infra/mongo/server-registry';
import { ServingHoldRepository } from '../../infra/mongo/serving-hold-repository';
import { DeploymentRepository } from '../../infra/mongo/deployment-repository';
import { initialDeploymentView } from '../../domain/deployments/deployment-status';
import type { TestModelServer } from '../helpers/model-server-harness';
import { FRAUD, registerExample, startFleetServer, startGatewayApi, until, type GatewayApi, type RegisteredVersion } from '../helpers/gateway-harness';

/**
 * Desired state, reconciled: in-process model servers that read the stored desired state (as a
 * real one does) load what is routed, reload it after a restart with no control call, unload
 * what was retired after the grace period, keep a running deployment's versions, refuse what
 * does not fit their memory budget; the routing API loads first, then moves traffic.
 */
let t: GatewayApi;
let admin: string;
let app: string;
let v1: RegisteredVersion;
let v2: RegisteredVersion;
const started: TestModelServer[] = [];

const FAST = { MODEL_SERVER_RECONCILE_MS: '200', MODEL_SERVER_UNLOAD_GRACE_MS: '600', SERVING_PLACEMENT: 'Development=tiny,Staging=nobody' };

async function server(env: Record<string, string> = {}): Promise<TestModelServer> {
  const ms = await startFleetServer(t, { ...FAST, ...env }, { reconcile: true });
  started.push(ms);
  return ms;
}
const holds = (ms: TestModelServer) => ms.server.registry.all().filter((h) => h.state === 'Ready').map((h) => h.version).sort();
const route = (pools: [RegisteredVersion, number][], environment = 'Production') =>
  new RoutingRepository(t.api.mongo.db).get(v1.modelId, environment).then((cur) =>
    new RoutingRepository(t.api.mongo.db).replace({ modelId: v1.modelId, modelName: 'fraud-detection', environment, pools: pools.map(([v, weight]) => ({ versionId: v.versionId, version: v.version, weight, role: 'primary' as const })), shadow: null, sticky: null, cache: null, updatedBy: 'test' }, cur?.revision ?? 0),
  );

beforeAll(async () => {
  t = await startGatewayApi({ env: { SERVING_PLACEMENT: FAST.SERVING_PLACEMENT, ROUTING_LOAD_TIMEOUT_MS: '20000' } });
  admin = await t.tokenFor('Admin');
  app = await t.tokenFor('Application');
  v1 = await registerExample(t, admin, 'fraud-detection', '1.0.0');
  v2 = await registerExample(t, admin, 'fraud-detection', '2.0.0');
  await registerExample(t, admin, 'fraud-detection', '3.0.0-degraded');
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((s) => s.close().catch(() => undefined)));
  await t?.close();
});

it('a routed version with no server is named by /health; a server that starts loads it by itself, and its replacement with the same id too', async () => {
  expect(await route([[v1, 100]])).not.toBeNull();
  const health = await t.call('GET', '/health');
  expect(health.body.components.serving).toMatchObject({ status: 'degraded', unserved: [{ modelName: 'fraud-detection', environment: 'Production', versionId: v1.versionId, version: '1.0.0' }] });

  const id = `reconcile-${randomBytes(3).toString('hex')}`;
  const first = await server({ MODEL_SERVER_ID: id });
  await until('1.0.0 loaded by reconciliation', async () => holds(first).includes('1.0.0') || undefined, 30_000);
  await until('/health serving healthy', async () => ((await t.call('GET', '/health')).body.components.serving.status === 'healthy' ? true : undefined), 10_000);
  // The gateway learns of the server at its next directory poll.
  await until('the gateway answers', async () => ((await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } })).status === 200 ? true : undefined), 10_000);

  // kill and start again: nothing calls the control API, the new process converges.
  await first.close();
  const again = await server({ MODEL_SERVER_ID: id });
  expect(holds(again)).toEqual([]);
  // The readiness probe (Kubernetes): 503 until what is assigned here is Ready, then 200.
  const ready = async () => {
    const res = await fetch(`${again.url}/health/ready`);
    return { status: res.status, body: (await res.json()) as { ready: boolean; waiting: string[] } };
  };
  expect(await ready()).toMatchObject({ status: 503, body: { ready: false } });
  await until('1.0.0 reloaded after the restart', async () => holds(again).includes('1.0.0') || undefined, 30_000);
  expect(await ready()).toEqual({ status: 200, body: expect.objectContaining({ ready: true, waiting: [] }) });
  await until('inference answers again', async () => ((await t.call('POST', '/api/v1/inference/fraud-detection', { token: app, body: { features: FRAUD } })).status === 200 ? true : undefined), 15_000);
});

it('unloads a retired version after the grace period, but keeps the versions of a running deployment', async () => {
  const ms = started[started.length - 1];
  const deployments = new DeploymentRepository(t.api.mongo.db);
  const deploymentId = `d-${randomBytes(3).toString('hex')}`;
  const view = initialDeploymentView({ deploymentId, modelId: v1.modelId, modelName: 'fraud-detection', versionId: v2.versionId, version: '2.0.0', strategy: 'BlueGreen', environment: 'Production', initiatedBy: 'test' }, false, new Date().toISOString());
  await deployments.create({ ...view, stable: { versionId: v1.versionId, version: '1.0.0' } }, { workflowId: 'wf', firstExecutionRunId: 'run' });

  // The deployment warmed 2.0.0 here (its warm-up writes the hold), switched traffic to it and
  // bakes: 1.0.0 is kept warm though no route sends it traffic.
  await new ServingHoldRepository(t.api.mongo.db).put({ holder: deploymentId, modelId: v1.modelId, modelName: 'fraud-detection', versionId: v2.versionId }, 'keep', [ms.serverId]);
  await route([[v2, 100]]);
  await until('2.0.0 loaded', async () => holds(ms).includes('2.0.0') || undefined, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  expect(holds(ms)).toEqual(['1.0.0', '2.0.0']);

  // The deployment finishes: nothing wants 1.0.0 any more, and after the grace period it goes.
  await deployments.record({ ...view, stable: { versionId: v1.versionId, version: '1.0.0' }, status: 'Active', completedAt: new Date().toISOString(), sequence: 5 });
  await until('1.0.0 unloaded', async () => (!holds(ms).includes('1.0.0') ? true : undefined), 15_000);
  expect(holds(ms)).toEqual(['2.0.0']);
});

it('the routing API loads a version no server holds first, then moves traffic', async () => {
  const ms = started[started.length - 1];
  expect(holds(ms)).not.toContain('3.0.0-degraded');
  const res = await t.call('PUT', '/api/v1/routing/fraud-detection/Production', { token: admin, body: { pools: [{ version: '2.0.0', weight: 50 }, { version: '3.0.0-degraded', weight: 50 }] } });
  expect(res.status).toBe(200);
  // It was Ready before the route existed (the server holds it now), and the temporary hold is gone.
  expect(holds(ms)).toContain('3.0.0-degraded');
  expect((await new ServingHoldRepository(t.api.mongo.db).all()).filter((h) => h.holder.startsWith('routing:'))).toEqual([]);
});

it('refuses what does not fit the memory budget, with the reason, and leaves the table unchanged', async () => {
  const tiny = await server({ MODEL_SERVER_POOL: 'tiny', MODEL_SERVER_MEMORY_BUDGET_MB: '1' });
  const res = await t.call('PUT', '/api/v1/routing/fraud-detection/Development', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }] } });
  expect(res.status).toBe(507);
  expect(res.body.error.code).toBe('INSUFFICIENT_CAPACITY');
  expect(res.body.error.details).toEqual([{ field: 'pools[0].version', message: expect.stringMatching(new RegExp(`^${tiny.serverId}: fraud-detection 1\\.0\\.0 needs about 8 MiB; 0 of this server's 1 MiB memory budget is in use`)) }]);
  expect((await t.call('GET', '/api/v1/routing/fraud-detection/Development', { token: admin })).status).toBe(404);
  const record = (await new ServerRegistry(t.api.mongo.db).all()).find((s) => s._id === tiny.serverId)!;
  expect(record).toMatchObject({ pool: 'tiny', memoryBudgetBytes: 2 ** 20, refused: [{ versionId: v1.versionId, code: 'INSUFFICIENT_CAPACITY' }] });
  expect(holds(tiny)).toEqual([]);
});

it('answers 503 at once when the environment\'s pool has no live server', async () => {
  const res = await t.call('PUT', '/api/v1/routing/fraud-detection/Staging', { token: admin, body: { pools: [{ version: '1.0.0', weight: 100 }] } });
  expect(res.status).toBe(503);
  expect(res.body.error.details).toEqual([{ field: 'pools[0].version', message: 'no live model server in pool "nobody" (the pool of Staging) to load fraud-detection 1.0.0 on' }]);
});
