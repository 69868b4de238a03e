import { goodCandidate, goodStable } from './helpers/fake-world';
import { createHarness, ENGINEER, inputFor, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';
import { promoteUpdate, rollbackUpdate } from '../../workflows/messages';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

const config = { monitoringDuration: 'PT5M', keepBlueDuration: 'PT30M', smokeTestSamples: 50 };

describe('blueGreenDeployment', () => {
  it('warms green, smoke-tests, switches at once, watches, activates, keeps blue warm, retires blue', async () => {
    const { result, world } = await runToEnd(h, inputFor('BlueGreen', config));
    expect(result.status).toBe('Active');
    expect(result.smokeTest?.passed).toBe(true);
    expect(world.routes.map((r) => r.pools)).toEqual([[{ versionId: 'v2', weight: 100 }], [{ versionId: 'v2', weight: 100 }]]);
    const [read] = world.named('readMetricWindows');
    // Blue is compared over the same length of time before the switch.
    expect(Date.parse(read.stable.to)).toBe(Date.parse(read.candidate.from));
    expect(Date.parse(read.stable.to) - Date.parse(read.stable.from)).toBe(Date.parse(read.candidate.to) - Date.parse(read.candidate.from));
    const order = world.calls.map((c) => c.name);
    expect(order.indexOf('runSmokeTest')).toBeLessThan(order.indexOf('applyRoute'));
    expect(order.indexOf('activateVersion')).toBeLessThan(order.indexOf('unloadVersion'));
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    expect(result.history.some((e) => e.step.startsWith('pause PT30M'))).toBe(false);
  });

  it('a failed smoke test rejects green before it gets traffic', async () => {
    const { result, world } = await runToEnd(h, inputFor('BlueGreen', config), { smokeTest: { samples: 50, validOutputs: 50, labelled: 50, correct: 40, baselineAccuracy: 0.95 } });
    expect(result.status).toBe('Failed');
    expect(result.rollback?.trigger).toBe('smoke-test');
    expect(result.smokeTest?.reasons.join()).toContain('below baseline');
    expect(world.routes).toEqual([]);
    expect(world.named('sendNotification')).toEqual([expect.objectContaining({ type: 'deployment.failed', trigger: 'smoke-test', reason: result.errorMessage })]);
    expect(world.named('sendNotification')[0].evidence.smokeTest).toEqual(result.smokeTest);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
  });

  it('a breach in the post-switch window switches back to blue (still warm)', async () => {
    const { result, world } = await runToEnd(h, inputFor('BlueGreen', config), { windows: () => ({ stable: goodStable, candidate: { ...goodCandidate, errors: 300 } }) });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback).toMatchObject({ trigger: 'threshold' });
    expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
    expect(world.named('warmUpVersion')).toHaveLength(1); // blue was never reloaded
    expect(world.named('activateVersion')).toEqual([]);
  });

  it('rollback while blue is kept warm restores blue and the previous active version', async () => {
    await runDeployment(h, inputFor('BlueGreen', config), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing', 'post-switch window');
      await h.env.sleep('6 minutes');
      await waitFor((s) => s.status === 'Active' && s.phase === 'KeepingPreviousWarm', 'keep blue');
      const final = await handle.executeUpdate(rollbackUpdate, { args: [{ by: ENGINEER, reason: 'support tickets' }] });
      expect(final.status).toBe('RolledBack');
      expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
      expect(world.named('activateVersion')).toEqual([expect.objectContaining({ versionId: 'v2' }), expect.objectContaining({ versionId: 'v1', previousVersionId: 'v2' })]);
      expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
      expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
    });
  });

  it('promote during keep-blue retires blue now', async () => {
    await runDeployment(h, inputFor('BlueGreen', config), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing', 'post-switch window');
      await h.env.sleep('6 minutes');
      await waitFor((s) => s.phase === 'KeepingPreviousWarm', 'keep blue');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: ENGINEER }] });
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    });
  });
});
