import { createHarness, ENGINEER, inputFor, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';
import { promoteUpdate } from '../../workflows/messages';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

const servers = ['s1', 's2', 's3'];
// bakeWindow PT0S: these tests are about the batches (bake-window.test.ts covers the bake after them).
const config = { batchSize: 1, waitDuration: 'PT1M', maxFailures: 1, bakeWindow: 'PT0S' };
const sick = (server: string) => (list: string[]) => list.map((s) => ({ server: s, healthy: s !== server, ready: true, ...(s === server && { reason: 'crash loop' }) }));

describe('rollingDeployment', () => {
  it('updates one server at a time with traffic proportional to servers, then retires stable', async () => {
    const { result, world } = await runToEnd(h, inputFor('Rolling', config), { servers });
    expect(result.status).toBe('Active');
    expect(world.routes.map((r) => r.pools.map((p) => `${p.versionId}:${p.weight}:${(p.servers ?? ['*']).join('+')}`))).toEqual([
      ['v1:67:s2+s3', 'v2:33:s1'],
      ['v1:33:s3', 'v2:67:s1+s2'],
      ['v2:100:s1+s2+s3'],
      ['v2:100:*'],
    ]);
    // A server serves one version at a time: stable is unloaded from each updated server.
    expect(world.named('unloadVersion').map((u) => `${u.versionId}@${(u.servers ?? ['*']).join('+')}`)).toEqual(['v1@s1', 'v1@s2', 'v1@s3', 'v1@*']);
    expect(world.named('checkServerHealth')).toHaveLength(3);
    expect(result.assignedServers).toEqual(servers);
  });

  it('a server holds one version at a time: stable leaves a batch before the candidate arrives; the last batch moves traffic first', async () => {
    const { result, world } = await runToEnd(h, inputFor('Rolling', config), { servers });
    expect(result.status).toBe('Active');
    // Pools are not pinned to servers by the gateways: a server holding both versions would answer for both.
    const order = world.calls
      .filter((c) => c.name === 'applyRoute' || c.name === 'unloadVersion' || c.name === 'warmUpVersion')
      .map((c) => {
        if (c.name === 'applyRoute') return `route ${c.input.route.pools.map((p: { versionId: string; weight: number }) => `${p.versionId}:${p.weight}`).join('/')}`;
        return `${c.name === 'warmUpVersion' ? 'load' : 'unload'} ${c.input.versionId}@${(c.input.servers ?? ['*']).join('+')}`;
      });
    expect(order).toEqual([
      ...['unload v1@s1', 'load v2@s1', 'route v1:67/v2:33'],
      ...['unload v1@s2', 'load v2@s2', 'route v1:33/v2:67'],
      ...['route v2:100', 'unload v1@s3', 'load v2@s3'],
      ...['route v2:100', 'unload v1@*'],
    ]);
  });

  it('retries a failed batch (within maxFailures) after putting it back on stable', async () => {
    const { result, world } = await runToEnd(h, inputFor('Rolling', config), { servers, health: (list, call) => (call === 1 ? sick('s2')(list) : sick('none')(list)) });
    expect(result.status).toBe('Active');
    expect(result.history.filter((e) => e.decision === 'Failed')).toHaveLength(1);
    expect(world.named('warmUpVersion').map((w) => `${w.versionId}@${w.servers.join('+')}`)).toEqual(['v2@s1', 'v2@s2', 'v1@s2', 'v2@s2', 'v2@s3']);
  });

  it('past maxFailures rolls back every updated server: stable traffic first, stable reloaded, candidate unloaded', async () => {
    const { result, world } = await runToEnd(h, inputFor('Rolling', config), { servers, health: sick('s2') });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback?.trigger).toBe('max-failures');
    const compensation = world.calls.slice(world.calls.findIndex((c) => c.name === 'applyRoute' && c.input.reason.startsWith('rollback')));
    // Compensation first, then the announcement of the automatic rollback.
    expect(compensation.map((c) => c.name)).toEqual(['applyRoute', 'warmUpVersion', 'applyRoute', 'unloadVersion', 'sendNotification']);
    expect(compensation[4].input).toMatchObject({ type: 'deployment.rolled_back', automatic: true, rollback: { trigger: 'max-failures' } });
    expect(compensation[0].input.route.pools).toEqual([{ versionId: 'v1', weight: 100, servers: ['s3'] }]);
    expect(compensation[1].input).toMatchObject({ versionId: 'v1', servers: ['s1', 's2'] });
    expect(compensation[2].input.route.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
    expect(compensation[3].input).toMatchObject({ versionId: 'v2' });
  });

  it('promote updates all remaining servers in one batch', async () => {
    await runDeployment(h, inputFor('Rolling', config), { servers }, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.assignedServers.length === 1, 'first batch');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: ENGINEER }] });
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(world.named('warmUpVersion').map((w) => w.servers.join('+'))).toEqual(['s1', 's2+s3']);
    });
  });
});
