import { HealthService, type HealthProbes } from '../../api/services/health-service';
import type { ServerRecord } from '../../infra/mongo/server-registry';

const NOW = 1_000_000;
const server = (id: string, ageMs: number): ServerRecord => ({
  _id: id, schemaVersion: 1, url: `http://${id}`, loaded: [], health: 'healthy', startedAt: new Date(0), heartbeatAt: new Date(NOW - ageMs),
});
const ok = async () => undefined;
const down = async () => {
  throw new Error('connection refused');
};

function probes(over: Partial<HealthProbes> = {}): HealthProbes {
  return { mongodb: ok, temporal: ok, artifactStore: ok, modelServers: async () => [server('s1', 100), server('s2', 100)], routingTables: async () => [], probeServer: ok, ...over };
}
const service = (p: HealthProbes) => new HealthService(p, 50, 10_000, () => NOW);

it('is healthy when every component answers', async () => {
  const r = await service(probes()).report();
  expect(r.status).toBe('healthy');
  expect(Object.keys(r.components)).toEqual(['mongodb', 'temporal', 'artifactStore', 'modelServers', 'serving']);
  expect(r.components.modelServers.servers!.map((s) => s.status)).toEqual(['healthy', 'healthy']);
});

it.each(['mongodb', 'temporal', 'artifactStore'] as const)('is unhealthy when required %s is down, naming the error', async (name) => {
  const r = await service(probes({ [name]: down })).report();
  expect(r.status).toBe('unhealthy');
  expect(r.components[name]).toMatchObject({ status: 'unhealthy', required: true, error: 'connection refused' });
});

it('times out a hanging probe', async () => {
  const r = await service(probes({ temporal: () => new Promise(() => undefined) })).report();
  expect(r.components.temporal).toMatchObject({ status: 'unhealthy', error: 'timed out after 50 ms' });
});

it('is degraded when one model server is down or its heartbeat expired', async () => {
  const r = await service(probes({ modelServers: async () => [server('s1', 100), server('s2', 60_000)] })).report();
  expect(r.status).toBe('degraded');
  expect(r.components.modelServers.servers!.map((s) => [s.id, s.status, s.error])).toEqual([['s1', 'healthy', undefined], ['s2', 'unhealthy', 'heartbeat expired']]);
});

it('reports no model server as an unhealthy, optional component', async () => {
  const r = await service(probes({ modelServers: async () => [] })).report();
  expect(r.status).toBe('degraded');
  expect(r.components.modelServers).toMatchObject({ status: 'unhealthy', required: false, error: 'no model server registered' });
});

describe('serving: every routed version needs a live server holding it Ready', () => {
  const table = { modelId: 'm1', modelName: 'fraud-detection', environment: 'Production' as const, pools: [{ versionId: 'v1', version: '1.0.0', weight: 90 }, { versionId: 'v2', version: '2.0.0', weight: 10 }], shadow: { versionId: 'v3', version: '3.0.0', percentage: 5 } };
  const holding = (id: string, versions: string[], ageMs = 100, health: ServerRecord['health'] = 'healthy'): ServerRecord => ({
    ...server(id, ageMs),
    health,
    loaded: versions.map((v) => ({ modelName: 'fraud-detection', version: v, versionId: v, state: 'Ready' })),
  });

  it('is healthy when each routed version (pools and shadow) is Ready somewhere', async () => {
    const r = await service(probes({ routingTables: async () => [table], modelServers: async () => [holding('s1', ['v1', 'v3']), holding('s2', ['v2'])] })).report();
    expect(r.components.serving).toMatchObject({ status: 'healthy' });
    expect(r.status).toBe('healthy');
  });

  it('is degraded, naming each version, while none holds it Ready (a restart before the reload)', async () => {
    const r = await service(probes({ routingTables: async () => [table], modelServers: async () => [holding('s1', ['v1']), holding('s2', ['v2'], 60_000), holding('s3', ['v3'], 100, 'draining')] })).report();
    expect(r.status).toBe('degraded');
    expect(r.components.serving.unserved).toEqual([
      { modelName: 'fraud-detection', environment: 'Production', versionId: 'v2', version: '2.0.0' },
      { modelName: 'fraud-detection', environment: 'Production', versionId: 'v3', version: '3.0.0' },
    ]);
    expect(r.components.serving.error).toBe('no live model server holds fraud-detection 2.0.0 (Production), fraud-detection 3.0.0 (Production) Ready');
  });

  it('is unhealthy (not required) when the routing tables cannot be read', async () => {
    const r = await service(probes({ routingTables: down })).report();
    expect(r.components.serving).toMatchObject({ status: 'unhealthy', required: false, error: 'connection refused' });
    expect(r.status).toBe('degraded');
  });
});
