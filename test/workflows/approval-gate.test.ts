import { ADMIN, createHarness, ENGINEER, inputFor, refusal, runDeployment, runToEnd, SCIENTIST, type Harness } from './helpers/temporal-harness';
import { abortUpdate, approveUpdate, pauseUpdate, rejectUpdate, rollbackUpdate } from '../../workflows/messages';
import type { DeploymentStatusView } from '../../domain/deployments/deployment-status';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.env.teardown();
});

const production = (extra: Record<string, unknown> = {}) => inputFor('Canary', { initialPercentage: 50, incrementStep: 50 }, { environment: 'Production', ...extra });

describe('Production approval gate', () => {
  it('notifies approvers, waits, and proceeds once another Admin approves', async () => {
    await runDeployment(h, production(), {}, async ({ handle, world, waitFor }) => {
      // The notification follows the status change: wait for its history entry too.
      const waiting = await waitFor((s) => s.status === 'AwaitingApproval' && s.history.some((e) => e.step === 'approval' && e.decision === 'Requested'), 'approval');
      expect(waiting.approval).toMatchObject({ required: true, state: 'Pending', deadline: expect.any(String) });
      expect(waiting.validationResult?.passed).toBe(true);
      expect(world.named('notifyApprovalNeeded')).toEqual([expect.objectContaining({ deploymentId: waiting.deploymentId, previousVersion: '1.0.0', validation: expect.objectContaining({ passed: true }) })]);
      expect(world.named('warmUpVersion')).toEqual([]);

      // Four-eyes rule, role and reason are enforced before anything reaches history.
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: { ...ADMIN, id: ENGINEER.id }, reason: 'mine' }] }))).toMatch(/initiator cannot approve/);
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: SCIENTIST, reason: 'ok' }] }))).toMatch(/may not approve/);
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: '  ' }] }))).toMatch(/reason is required/);
      expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ by: ENGINEER }] }))).toMatch(/only a Deploying deployment can be paused/);
      expect(await refusal(handle.executeUpdate(rollbackUpdate, { args: [{ by: ENGINEER, reason: 'x' }] }))).toMatch(/nothing to roll back/);

      const approval = await handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: 'validation report reviewed' }] });
      expect(approval).toMatchObject({ state: 'Approved', decidedBy: ADMIN.id, decidedByName: 'alice', reason: 'validation report reviewed', decidedAt: expect.any(String) });
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [{ by: ADMIN, reason: 'changed my mind' }] }))).toMatch(/already been decided \(Approved\)|not AwaitingApproval/);
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(result.approval.state).toBe('Approved');
      expect(world.named('sendNotification').map((e) => e.type)).toEqual(['deployment.promoted']);
    });
  });

  it('a rejection cancels the deployment before anything is loaded', async () => {
    await runDeployment(h, production(), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.status === 'AwaitingApproval', 'approval');
      await handle.executeUpdate(rejectUpdate, { args: [{ by: ADMIN, reason: 'not during the sale' }] });
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Cancelled');
      expect(result.approval).toMatchObject({ state: 'Rejected', reason: 'not during the sale' });
      expect(result.rollback).toMatchObject({ trigger: 'approval' });
      expect(result.errorMessage).toContain('rejected by alice');
      expect(world.named('warmUpVersion')).toEqual([]);
      expect(world.routes).toEqual([]);
      // A rejection was a person's decision: nothing to announce.
      expect(world.named('sendNotification')).toEqual([]);
    });
  });

  it('cancels when nobody decides before the configurable deadline', async () => {
    const { result, world } = await runToEnd(h, production({ approval: { timeout: 'PT4H' } }));
    expect(result.status).toBe('Cancelled');
    expect(result.approval.state).toBe('TimedOut');
    expect(Date.parse(result.approval.deadline!) - Date.parse(result.approval.requestedAt!)).toBe(4 * 3600_000);
    expect(result.errorMessage).toMatch(/approval deadline .* passed/);
    expect(world.named('notifyApprovalNeeded')).toHaveLength(1);
    expect(world.named('sendNotification')).toEqual([
      expect.objectContaining({ type: 'deployment.approval_timed_out', id: `${result.deploymentId}:deployment.approval_timed_out`, environment: 'Production', requestedAt: result.approval.requestedAt, deadline: result.approval.deadline }),
    ]);
    expect(world.named('warmUpVersion')).toEqual([]);
  });

  it('failing notifications block neither approval nor promotion', async () => {
    await runDeployment(h, production(), { notifyError: true }, async ({ handle, waitFor }) => {
      const s = await waitFor((v) => v.status === 'AwaitingApproval' && v.history.some((e) => e.decision === 'NotifyFailed'), 'approval');
      expect(s.approval.state).toBe('Pending');
      await handle.executeUpdate(approveUpdate, { args: [{ by: ADMIN, reason: 'ok' }] });
      const result = (await handle.result()) as DeploymentStatusView;
      expect(result.status).toBe('Active');
      expect(result.history).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'notify', decision: 'NotifyFailed', reason: expect.stringContaining('deployment.promoted') })]));
    });
  });

  it('abort while awaiting approval ends Cancelled with nothing to undo', async () => {
    await runDeployment(h, production(), {}, async ({ handle, world, waitFor }) => {
      await waitFor((s) => s.status === 'AwaitingApproval', 'approval');
      const final = await handle.executeUpdate(abortUpdate, { args: [{ by: ENGINEER, reason: 'superseded' }] });
      expect(final.status).toBe('Cancelled');
      expect(final.rollback).toMatchObject({ trigger: 'abort', durationMs: null });
      expect(world.routes).toEqual([]);
    });
  });

  it('outside Production no approval is needed', async () => {
    const { result, world } = await runToEnd(h, inputFor('Canary', { initialPercentage: 50, incrementStep: 50 }));
    expect(result.approval.state).toBe('NotRequired');
    expect(world.named('notifyApprovalNeeded')).toEqual([]);
  });
});
