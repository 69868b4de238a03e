import { WorkflowFailedError } from '@temporalio/client';
import { goodCandidate, goodStable, type Windows } from './helpers/fake-world';
import { createHarness, ENGINEER, inputFor, refusal, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';
import { abortUpdate, pauseUpdate, promoteUpdate, resumeUpdate, rollbackUpdate } from '../../workflows/messages';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

// 10% → 50% → 90% → promote: three analysis windows.
const config = { initialPercentage: 10, incrementStep: 40, monitoringDuration: 'PT5M' };
const always = (w: Windows) => () => w;
const weights = (routes: { pools: { versionId: string; weight: number }[] }[]) => routes.map((r) => r.pools.find((p) => p.versionId === 'v2')?.weight ?? 0);

describe('canaryDeployment', () => {
  it('shifts traffic step by step, promotes, moves the active version and retires stable', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', config));
    expect(result.status).toBe('Active');
    expect(result.progressPercentage).toBe(100);
    expect(result.trafficPercentage).toBe(100);
    expect(weights(world.routes)).toEqual([10, 50, 90, 100]);
    expect(world.named('readMetricWindows')).toHaveLength(3);
    expect(world.named('activateVersion')).toEqual([expect.objectContaining({ versionId: 'v2', previousVersionId: 'v1' })]);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    // Warm-up happened before any traffic moved.
    const order = world.calls.map((c) => c.name);
    expect(order.indexOf('warmUpVersion')).toBeLessThan(order.indexOf('applyRoute'));
    // Route writes are fenced by increasing sequence numbers.
    const seqs = world.named('applyRoute').map((i) => i.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(result.history.map((e) => e.decision)).toEqual(expect.arrayContaining(['Planned', 'Passed', 'Ready', 'Continue', 'Promote', 'Promoted', 'Retired', 'Active']));
    expect(world.lastProjection()?.status).toBe('Active');
    // Promotion is announced once, with what the analysis measured.
    expect(world.named('sendNotification')).toEqual([expect.objectContaining({ type: 'deployment.promoted', environment: 'Staging', deployment: expect.objectContaining({ version: '2.0.0', previousVersion: '1.0.0' }) })]);
    expect(world.named('sendNotification')[0].evidence.analysisPhase).toBe('Successful');
    const statuses = new Set(world.projections.map((p) => p.status));
    expect([...statuses]).toEqual(expect.arrayContaining(['Pending', 'Validating', 'Deploying', 'Active']));
  });

  it('sets the search attributes the Web UI filters on', async () => {
    await runDeployment(h, inputFor('Canary', config), {}, async ({ handle }) => {
      await handle.result();
      const d = await handle.describe();
      expect(d.searchAttributes).toMatchObject({ ModelName: ['fraud-detection'], ModelVersion: ['2.0.0'], DeploymentStrategy: ['Canary'], Environment: ['Staging'], DeploymentPhase: ['Active'] });
    });
  });

  it.each([
    ['accuracy', { ...goodCandidate, correct: 1600 }, 'accuracy'],
    ['latency', { ...goodCandidate, meanLatencyMs: 60 }, 'latency'],
    ['error rate', { ...goodCandidate, errors: 120 }, 'errorRate'],
  ])('rolls back when %s is significantly worse at the second step', async (_name, bad, metric) => {
    const { result, world } = await runToEnd(h, inputFor('Canary', config), { windows: (call) => ({ stable: goodStable, candidate: call === 1 ? bad : goodCandidate }) });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback).toMatchObject({ trigger: 'threshold', errors: [] });
    expect(result.rollback!.reason).toContain(metric);
    expect(result.rollback!.durationMs).toEqual(expect.any(Number));
    expect(result.rollback!.routeRevision).toEqual(expect.any(Number));
    // Traffic went back to stable first, then the candidate was unloaded; nothing was activated.
    expect(weights(world.routes)).toEqual([10, 50, 0]);
    expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
    const order = world.calls.map((c) => c.name);
    expect(order.lastIndexOf('applyRoute')).toBeLessThan(order.lastIndexOf('unloadVersion'));
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2', servers: ['s1', 's2'] })]);
    expect(world.named('activateVersion')).toEqual([]);
    expect(result.trafficPercentage).toBe(0);
    // Announced with the evidence: the windows compared and the breached threshold.
    const [event] = world.named('sendNotification');
    expect(world.named('sendNotification')).toHaveLength(1);
    expect(event).toMatchObject({ type: 'deployment.rolled_back', automatic: true, rollback: { trigger: 'threshold', reason: result.rollback!.reason }, deployment: { previousVersion: '1.0.0' } });
    expect(event.evidence.metrics).toEqual(result.metrics);
    expect(event.evidence.metrics.assessment.breached).toContain(metric);

    // The history says why: the failed judgement's statistic crossed its bound.
    const failed = result.history.find((e) => e.decision === 'Rollback' && e.evidence)!.evidence!.find((j) => j.verdict === 'Failed')!;
    expect(failed.metric).toBe(metric);
    expect(failed.statistic).toBeGreaterThanOrEqual(failed.bound);
    expect(failed.samples).toEqual({ control: expect.any(Number), candidate: expect.any(Number) });
  });

  it('extends an inconclusive window and continues when enough samples arrive', async () => {
    const thin = { ...goodCandidate, requests: 20, labelled: 5, correct: 4 };
    const { result, world } = await runToEnd(h, inputFor('Canary', config), { windows: (call) => ({ stable: goodStable, candidate: call === 0 ? thin : goodCandidate }) });
    expect(result.status).toBe('Active');
    expect(world.named('readMetricWindows')).toHaveLength(4);
    // The extended window starts where the step started, so samples accumulate.
    const [first, second] = world.named('readMetricWindows');
    expect(second.candidate.from).toBe(first.candidate.from);
    expect(result.history.some((e) => e.decision === 'Extend')).toBe(true);
  });

  it('an accuracy dip past the limit on few labels waits for more labels instead of rolling back', async () => {
    // 42/50 (84 %) against 3600/4000 (90 %): 6.7 % below stable, over the 5 % limit, but 50 labels cannot tell.
    const noisy = { ...goodCandidate, labelled: 50, correct: 42 };
    const { result } = await runToEnd(h, inputFor('Canary', config), { windows: (call) => ({ stable: goodStable, candidate: call === 0 ? noisy : goodCandidate }) });
    expect(result.status).toBe('Active');
    const inconclusive = result.history.find((e) => e.decision === 'Inconclusive');
    expect(inconclusive?.reason).toMatch(/accuracy drop 6%, .* neither above 0 nor below the 4\.5% tolerance yet on 4000 vs 50/);
    expect(inconclusive?.evidence?.find((j) => j.metric === 'accuracy')).toMatchObject({ verdict: 'Inconclusive', samples: { control: 4000, candidate: 50 } });
    expect(result.history.some((e) => e.decision === 'Extend')).toBe(true);
  });

  it('rolls back on an accuracy drop the labels make significant', async () => {
    // 400/500 (80 %) against 3600/4000 (90 %): 10 points below, outside the anytime-valid interval.
    const { result } = await runToEnd(h, inputFor('Canary', config), { windows: always({ stable: goodStable, candidate: { ...goodCandidate, labelled: 500, correct: 400 } }) });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback).toMatchObject({ trigger: 'threshold' });
    expect(result.rollback!.reason).toMatch(/accuracy drop 10% is above 0/);
  });

  it('holds a good version on too few labels for a person instead of rolling it back (85 % vs 90 % on 20 labels)', async () => {
    const fewLabels = { ...goodCandidate, labelled: 20, correct: 17 };
    await runDeployment(h, inputFor('Canary', { ...config, maxInconclusiveExtensions: 2 }), { windows: always({ stable: goodStable, candidate: fewLabels }) }, async ({ handle, world, waitFor }) => {
      await h.env.sleep('20 minutes'); // three 5-minute windows (the step and two extensions)
      const held = await waitFor((s) => s.status === 'Paused', 'the hold');
      expect(held.rollback).toBeNull();
      expect(held.history.at(-1)).toMatchObject({ decision: 'Held', reason: expect.stringContaining('still inconclusive after 2 extension(s)') });
      expect(world.named('readMetricWindows')).toHaveLength(3);
      expect(weights(world.routes)).toEqual([10]);
      // A person who knows the version is fine promotes it.
      await handle.executeUpdate(promoteUpdate, { args: [{ by: ENGINEER, reason: 'labels are slow this week' }] });
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
    });
  });

  it('treats unreadable metrics as inconclusive (never as a pass), then fails safe', async () => {
    const broken = { ...goodCandidate, p99LatencyMs: Number.NaN };
    const { result } = await runToEnd(h, inputFor('Canary', { ...config, maxInconclusiveExtensions: 1 }), { windows: always({ stable: goodStable, candidate: broken }) });
    expect(result.status).toBe('RolledBack');
    expect(result.rollback?.trigger).toBe('inconclusive');
    expect(result.analysisPhase).toBe('Error');
  });

  it('pause holds the step (monitoring clock stopped) until resume', async () => {
    await runDeployment(h, inputFor('Canary', config), {}, async ({ handle, world, waitFor, status }) => {
      await waitFor((s) => s.phase === 'Analysing', 'first analysis');
      const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: ENGINEER, reason: 'looking at a dashboard' }] });
      expect(paused.status).toBe('Paused');
      await h.env.sleep('2 hours');
      const still = await status();
      expect(still.status).toBe('Paused');
      expect(still.currentStep?.label).toBe(paused.currentStep?.label);
      expect(world.named('readMetricWindows')).toHaveLength(0);
      expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ by: ENGINEER }] }))).toMatch(/only a Deploying deployment can be paused/);
      const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: ENGINEER }] });
      expect(resumed.status).toBe('Deploying');
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(result.history.map((e) => e.decision)).toEqual(expect.arrayContaining(['Paused', 'Resumed']));
    });
  });

  it('promote skips the remaining steps', async () => {
    await runDeployment(h, inputFor('Canary', config), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing', 'first analysis');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: ENGINEER, reason: 'looks great' }] });
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(weights(world.routes)).toEqual([10, 100]);
      expect(world.named('readMetricWindows')).toHaveLength(0);
      expect(result.history.filter((e) => e.decision === 'Skipped').length).toBeGreaterThanOrEqual(4);
    });
  });

  it('abort routes back to stable, unloads the candidate and ends Cancelled; the update returns the final state', async () => {
    await runDeployment(h, inputFor('Canary', config), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing', 'first analysis');
      expect(await refusal(handle.executeUpdate(abortUpdate, { args: [{ by: ENGINEER }] }))).toMatch(/reason is required/);
      const final = await handle.executeUpdate(abortUpdate, { args: [{ by: ENGINEER, reason: 'wrong version' }] });
      expect(final.status).toBe('Cancelled');
      expect(final.rollback).toMatchObject({ trigger: 'abort' });
      expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
      expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
      expect(((await handle.result()) as DeploymentStatusView).status).toBe('Cancelled');
    });
  });

  it('rollback command restores stable and ends RolledBack with the measured time', async () => {
    await runDeployment(h, inputFor('Canary', config), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing' && s.trafficPercentage === 10, 'first analysis');
      expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: { ...ENGINEER, role: 'Application' }, reason: 'x' }] }))).toMatch(/may not rollback/);
      const final = await handle.executeUpdate(rollbackUpdate, { args: [{ by: ENGINEER, reason: 'customer complaints' }] });
      expect(final.status).toBe('RolledBack');
      expect(final.rollback).toMatchObject({ trigger: 'rollback-command', errors: [] });
      expect(final.rollback!.reason).toContain('customer complaints');
      expect(final.rollback!.trafficRestoredAt).toEqual(expect.any(String));
      expect(world.lastProjection()).toMatchObject({ status: 'RolledBack', phase: 'RolledBack' });
    });
  });

  it('cancellation of the workflow runs the rollback too', async () => {
    await runDeployment(h, inputFor('Canary', config), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing', 'first analysis');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
      expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
      expect(world.lastProjection()).toMatchObject({ status: 'Cancelled', rollback: expect.objectContaining({ trigger: 'cancellation' }) });
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
  });

  it('a worker-side failure (routing activity fails) rolls back and fails the workflow', async () => {
    const { ApplicationFailure } = await import('@temporalio/common');
    await runDeployment(h, inputFor('Canary', config), { applyRouteError: (_route, call) => (call === 1 ? ApplicationFailure.nonRetryable('gateway rejected the revision', 'INTERNAL_ERROR') : null) }, async ({ handle, world }) => {
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String((err as WorkflowFailedError).cause?.message)).toContain('gateway rejected the revision');
      expect(world.lastProjection()?.errorMessage).toContain('gateway rejected the revision');
      expect(world.lastProjection()).toMatchObject({ status: 'Failed', rollback: expect.objectContaining({ trigger: 'failure' }) });
      expect(world.routes.at(-1)!.pools).toEqual([{ versionId: 'v1', weight: 100 }]);
      expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
    });
  });

  it('fails at validation without touching servers or routes', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', config), { validation: { schema: false } });
    expect(result.status).toBe('Failed');
    expect(result.validationResult?.passed).toBe(false);
    expect(result.errorMessage).toContain('schema-compatible');
    expect(world.named('warmUpVersion')).toEqual([]);
    expect(world.routes).toEqual([]);
  });

  it('fails when a server cannot warm the candidate, and unloads it', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', config), { warmUpFailures: () => [{ server: 's2', reason: 'out of memory' }] });
    expect(result.status).toBe('Failed');
    expect(result.rollback?.trigger).toBe('warm-up');
    expect(world.routes).toEqual([]);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2' })]);
  });

  it('a first deployment (no stable) warms up and promotes directly', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', config), { stable: null });
    expect(result.status).toBe('Active');
    expect(weights(world.routes)).toEqual([100]);
    expect(world.named('activateVersion')).toEqual([expect.objectContaining({ versionId: 'v2', previousVersionId: null })]);
  });
});
