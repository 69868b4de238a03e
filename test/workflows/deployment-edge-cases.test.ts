/**
 * Edge cases found end to end, on the time-skipping server: decided approvals, the rollback of a
 * first deployment, retiring a version another environment still serves, and the first projection.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ADMIN, createHarness, inputFor, refusal, runDeployment, runToEnd, type Harness } from './helpers/temporal-harness';
import { abortUpdate, approveUpdate, rejectUpdate } from '../../workflows/messages';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';
import type { Actor } from '../../domain/deployments/commands';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

const ADMIN2: Actor = { id: 'u-admin2', username: 'dave', role: 'Admin' };
const canary = { initialPercentage: 50, incrementStep: 50, monitoringDuration: 'PT5M' };

describe('approve/reject once the approval is not Pending', () => {
  it('a second decision is refused with a conflict message, whoever sends it and with or without a reason', async () => {
    await runDeployment(h, inputFor('Canary', canary, { environment: 'Production' }), {}, async ({ handle, waitFor }) => {
      await waitFor((s) => s.status === 'AwaitingApproval', 'approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: 'reviewed' }] });
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [{ by: ADMIN2, reason: 'no' }] }))).toMatch(/already been decided \(Approved\)/);
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN2, reason: '' }] }))).toMatch(/already been decided \(Approved\)/);
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(result.approval).toMatchObject({ state: 'Approved', decidedBy: ADMIN.id, reason: 'reviewed' });
      expect(result.history.filter((e) => e.step === 'approval' && e.decision === 'Approved')).toHaveLength(1);
    });
  });

  it('a deployment without approval refuses approve and reject', async () => {
    await runDeployment(h, inputFor('Canary', canary), {}, async ({ handle, waitFor }) => {
      await waitFor((s) => s.phase === 'Analysing', 'analysis');
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: 'ok' }] }))).toMatch(/needs no approval/);
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [{ by: ADMIN, reason: 'no' }] }))).toMatch(/needs no approval/);
      await handle.result();
    });
  });

  it('an aborted deployment still awaiting approval takes no later decision', async () => {
    await runDeployment(h, inputFor('Canary', canary, { environment: 'Production' }), {}, async ({ handle, waitFor }) => {
      await waitFor((s) => s.status === 'AwaitingApproval', 'approval');
      const final = await handle.executeUpdate(abortUpdate, { args: [{ by: ADMIN2, reason: 'superseded' }] });
      expect(final.status).toBe('Cancelled');
      expect(final.approval.state).toBe('Pending');
      const late = await handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: 'late' }] }).then(
        () => 'accepted',
        (e: Error & { cause?: Error }) => `${e.message} ${e.cause?.message ?? ''}`,
      );
      expect(late).not.toBe('accepted');
      expect(((await handle.result()) as DeploymentStatusView).history.some((e) => e.step === 'approval' && e.decision === 'Approved')).toBe(false);
    });
  });
});

describe('rollback of a first deployment (no stable version)', () => {
  it('leaves the route alone instead of writing an empty one, keeps the routed candidate loaded, and ends', async () => {
    let failed: unknown;
    const world = await runDeployment(h, inputFor('Canary', canary), { stable: null, activateError: 'v2' }, async ({ handle, world: w }) => {
      failed = await handle.result().catch((e: unknown) => e);
      return w;
    });
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const last = world.lastProjection()!;
    expect(last.status).toBe('Failed');
    expect(last.completedAt).toEqual(expect.any(String));
    expect(last.rollback).toMatchObject({ trigger: 'failure', errors: [], durationMs: null });
    // Only the forward route (100% on the candidate) was written: no empty route was attempted.
    expect(world.named('applyRoute').map((i) => i.route.pools)).toEqual([[{ versionId: 'v2', weight: 100 }]]);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2', keepIfRouted: true })]);
    const rollback = last.history.find((e) => e.step === 'rollback')!;
    expect(rollback.decision).toBe('Done');
    expect(rollback.reason).toMatch(/no previous version to route back to/);
    expect(rollback.reason).toMatch(/candidate left loaded/);
  });

  it('a first deployment that fails before any route was written unloads the candidate', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', canary), { stable: null, warmUpFailures: (_v, servers) => servers.map((server) => ({ server, reason: 'out of memory' })) });
    expect(result.status).toBe('Failed');
    expect(result.rollback).toMatchObject({ trigger: 'warm-up', errors: [] });
    expect(world.named('applyRoute')).toEqual([]);
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v2', servers: ['s1', 's2'] })]);
  });
});

describe('retiring the previous version', () => {
  it('keeps it loaded and Deployed when another environment still routes it: the deployment is Active without error', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', canary), { routedElsewhere: ['v1'] });
    expect(result.status).toBe('Active');
    expect(result.errorMessage).toBeNull();
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v1', keepIfRouted: true })]);
    expect(world.named('retireVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    expect(result.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'retirePrevious', decision: 'Kept', reason: expect.stringMatching(/left loaded and Deployed/) })]));
    expect(result.history.some((e) => e.decision === 'Retired')).toBe(false);
  });

  it('unloads and retires it when nothing else routes it', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', canary));
    expect(result.status).toBe('Active');
    expect(world.named('unloadVersion')).toEqual([expect.objectContaining({ versionId: 'v1' })]);
    expect(result.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'retirePrevious', decision: 'Retired' })]));
  });
});

describe('the first projection', () => {
  it('carries the model name and version string from the start, not the ids', async () => {
    const { world } = await runToEnd(h, inputFor('Canary', canary, { modelId: 'm-0123abcd', modelName: 'fraud-detection', version: '2.0.0' }));
    const first = [...world.projections].sort((a, b) => a.sequence - b.sequence)[0];
    expect(first.sequence).toBe(1);
    expect(first).toMatchObject({ modelId: 'm-0123abcd', modelName: 'fraud-detection', versionId: 'v2', version: '2.0.0' });
    expect(world.projections.every((p) => p.modelName === 'fraud-detection')).toBe(true);
  });
});
