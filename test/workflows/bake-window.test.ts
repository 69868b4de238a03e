/**
 * The bake window after promotion (issue 11): every strategy keeps the previous version warm for
 * bakeWindow, the deployment is Active (phase KeepingPreviousWarm) and still takes commands —
 * rollback (a routing change back to the warm version), promote (end the bake now) and supersede
 * (a new deployment takes over: retire the previous version, end Superseded).
 */
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';
import { promoteUpdate, rollbackUpdate, supersedeUpdate } from '../../workflows/messages';
import { createHarness, ENGINEER, inputFor, refusal, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

// Canary 10 % → 50 % → 90 % → promote (three 5-minute windows); blue-green one 5-minute window.
const STRATEGIES = [
  { name: 'canary', strategy: 'Canary', config: { initialPercentage: 10, incrementStep: 40, monitoringDuration: 'PT5M' }, untilPromoted: '16 minutes' },
  { name: 'blue-green', strategy: 'BlueGreen', config: { monitoringDuration: 'PT5M', smokeTestSamples: 50 }, untilPromoted: '6 minutes' },
] as const;

const stepLabels = (s: DeploymentStatusView) => s.history.map((e) => e.step);

describe.each(STRATEGIES)('$name bake window', ({ strategy, config, untilPromoted }) => {
  const input = (extra: Record<string, unknown> = {}) => inputFor(strategy, { ...config, ...extra });

  /** Runs to the bake window: promoted, Active, phase KeepingPreviousWarm. */
  async function toBake(r: { waitFor: (p: (s: DeploymentStatusView) => boolean, what?: string) => Promise<DeploymentStatusView> }): Promise<DeploymentStatusView> {
    await r.waitFor((s) => s.phase === 'Analysing', 'first analysis window');
    await h.env.sleep(untilPromoted);
    return r.waitFor((s) => s.status === 'Active' && s.phase === 'KeepingPreviousWarm' && s.currentStep?.step.kind === 'pause', 'the bake window');
  }

  it('keeps the previous version warm for bakeWindow after promotion, then retires it', async () => {
    const { result, world } = await runToEnd(h, input({ bakeWindow: 'PT20M' }));
    expect(result.status).toBe('Active');
    expect(stepLabels(result)).toEqual(expect.arrayContaining(['promote', 'retirePrevious']));
    const plan = world.lastProjection()!;
    expect(plan.history.find((e) => e.step === 'start')!.reason).toContain('promote → pause PT20M (keepPreviousWarm) → retirePrevious');
    // The previous version was unloaded only after the bake: no earlier than 20 minutes after promotion.
    const promotedAt = Date.parse(result.history.find((e) => e.decision === 'Promoted')!.at);
    const retiredAt = Date.parse(result.history.find((e) => e.step === 'retirePrevious')!.at);
    expect(retiredAt - promotedAt).toBeGreaterThanOrEqual(20 * 60_000);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
  });

  it('bakeWindow PT0S retires the previous version right after promotion', async () => {
    const { result, world } = await runToEnd(h, input({ bakeWindow: 'PT0S' }));
    expect(result.status).toBe('Active');
    expect(result.history.find((e) => e.step === 'start')!.reason).toContain('promote → retirePrevious');
    expect(result.history.some((e) => e.step.startsWith('pause'))).toBe(false);
    const promotedAt = Date.parse(result.history.find((e) => e.decision === 'Promoted')!.at);
    const retiredAt = Date.parse(result.history.find((e) => e.step === 'retirePrevious')!.at);
    expect(retiredAt - promotedAt).toBeLessThan(60_000);
    expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
  });

  it('rollback during the bake routes back to the warm previous version (no reload) and ends RolledBack with who and why', async () => {
    await runDeployment(h, input(), {}, async (r) => {
      const baking = await toBake(r);
      expect(baking.trafficPercentage).toBe(100);
      const warmUpsBefore = r.world.named('warmUpVersion').length;
      const final = await r.handle.executeUpdate(rollbackUpdate, { args: [{ by: ENGINEER, reason: 'complaints after release' }] });
      expect(final.status).toBe('RolledBack');
      expect(final.rollback).toMatchObject({ trigger: 'rollback-command', requestedBy: 'bob', errors: [] });
      expect(final.rollback!.reason).toContain('complaints after release');
      expect(final.rollback!.durationMs).toEqual(expect.any(Number));
      expect(r.world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
      expect(r.world.named('warmUpVersion')).toHaveLength(warmUpsBefore); // v1 was still warm
      expect(r.world.named('activateVersion').map((a) => a.versionId)).toEqual(['v2', 'v1']);
      expect(r.world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
      // Traffic moved before anything else of the rollback: route first, then the projection and the registry.
      const calls = r.world.calls.map((c) => c.name);
      const routeBack = calls.lastIndexOf('applyRoute');
      expect(calls.lastIndexOf('activateVersion')).toBeGreaterThan(routeBack);
      expect(final.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'rollback', decision: 'Rollback', reason: 'bob: complaints after release' })]));
      await r.handle.result();
      expect(r.world.named('sendNotification').map((e) => [e.type, e.automatic, e.rollback?.requestedBy])).toEqual([
        ['deployment.promoted', undefined, undefined],
        ['deployment.rolled_back', false, 'bob'],
      ]);
    });
  });

  it('supersede during the bake retires the previous version and ends Superseded; the candidate keeps serving', async () => {
    await runDeployment(h, input(), {}, async (r) => {
      await toBake(r);
      const final = await r.handle.executeUpdate(supersedeUpdate, { args: [{ by: ENGINEER, reason: 'a newer deployment takes over', supersededBy: 'dep-next' }] });
      expect(final).toMatchObject({ status: 'Superseded', phase: 'Superseded', supersededBy: 'dep-next', errorMessage: null });
      expect(final.completedAt).toEqual(expect.any(String));
      expect(r.world.routes.at(-1)!.pools).toEqual([{ versionId: 'v2', weight: 100 }]);
      expect(r.world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v1', keepIfRouted: true })]);
      expect(r.world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
      expect(r.world.named('activateVersion').map((a) => a.versionId)).toEqual(['v2']);
      expect(final.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'supersede', decision: 'Supersede' }), expect.objectContaining({ step: 'end', decision: 'Superseded' })]));
      const result = (await r.handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Superseded');
      expect(r.world.lastProjection()?.status).toBe('Superseded');
    });
  });

  it('supersede is refused before the bake window (the rollout still runs)', async () => {
    await runDeployment(h, input(), {}, async (r) => {
      await r.waitFor((s) => s.phase === 'Analysing', 'first analysis window');
      expect(await refusal(r.handle.executeUpdate(supersedeUpdate, { args: [{ by: ENGINEER, reason: 'new one' }] }))).toContain('only a deployment in its bake window can be superseded');
    });
  });

  it('promote during the bake ends it now and retires the previous version', async () => {
    await runDeployment(h, input(), {}, async (r) => {
      await toBake(r);
      await r.handle.executeUpdate(promoteUpdate, { args: [{ by: ENGINEER, reason: 'looks fine' }] });
      const result = (await r.handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(r.world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    });
  });
});

describe('rolling bake window', () => {
  const servers = ['s1', 's2'];
  it('loads the previous version again after the last batch so the bake keeps it warm; a rollback then only routes', async () => {
    await runDeployment(h, inputFor('Rolling', { batchSize: 1, waitDuration: 'PT1M', bakeWindow: 'PT10M' }), { servers }, async (r) => {
      await r.waitFor((s) => s.phase === 'UpdatingServers', 'the first batch');
      await h.env.sleep('3 minutes'); // two batches of waitDuration PT1M
      const baking = await r.waitFor((s) => s.status === 'Active' && s.currentStep?.step.kind === 'pause', 'the bake window');
      expect(baking.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'rewarmPrevious', decision: 'Ready' })]));
      expect(r.world.named('warmUpVersion').at(-1)).toMatchObject({ versionId: 'v1', servers: ['s1', 's2'] });
      const warmUps = r.world.named('warmUpVersion').length;
      const final = await r.handle.executeUpdate(rollbackUpdate, { args: [{ by: ENGINEER, reason: 'p99 up' }] });
      expect(final.status).toBe('RolledBack');
      expect(r.world.named('warmUpVersion')).toHaveLength(warmUps);
      expect(r.world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
    });
  });
});
