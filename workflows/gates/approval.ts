/** Production approval: notify, then wait for approve/reject until the deadline (then Cancelled). */
import { CancellationScope, condition, log, patched } from '@temporalio/workflow';
import { durationMs } from '../../domain/deployments/iso-duration';
import { bookkeeping } from '../activity-stubs';
import { DEFAULT_APPROVAL_TIMEOUT } from '../deployment-input';
import type { DeploymentRun } from '../deployment-run';
import { DeploymentEnding } from './ending';

export const APPROVAL_NOTIFY_NOT_CANCELLED_PATCH = 'approval-notify-not-cancelled';

export async function approvalGate(run: DeploymentRun): Promise<void> {
  if (!run.view.approval.required || run.view.approval.state === 'Approved') return;
  const timeoutMs = durationMs(run.input.approval?.timeout ?? DEFAULT_APPROVAL_TIMEOUT);
  const requestedAt = Date.now();
  run.view.approval = { ...run.view.approval, state: 'Pending', requestedAt: new Date(requestedAt).toISOString(), deadline: new Date(requestedAt + timeoutMs).toISOString() };
  await run.setStatus('AwaitingApproval', 'AwaitingApproval');
  try {
    const notify = () =>
      bookkeeping.notifyApprovalNeeded({
        deploymentId: run.input.deploymentId,
        modelName: run.view.modelName,
        version: run.view.version,
        previousVersion: run.stable?.version ?? null,
        environment: run.input.environment,
        strategy: run.input.strategy,
        initiatedBy: run.input.initiatedBy,
        deadline: run.view.approval.deadline!,
        validation: run.view.validationResult,
      });
    // Not cancelled by an abort that arrives meanwhile: the notification is short, and cancelling
    // it could race its completion (the test server then refused the cancel, ACTIVITY_UNKNOWN, and
    // the workflow task failed and stalled). The abort takes effect at the wait below.
    if (patched(APPROVAL_NOTIFY_NOT_CANCELLED_PATCH)) await CancellationScope.nonCancellable(notify);
    else await notify();
    run.record('approval', 'Requested', `approvers notified; deadline ${run.view.approval.deadline}`);
  } catch (err) {
    // Why swallowed: the request is visible in the API and the Web UI; a mail outage must not cancel the deployment.
    log.warn('approval notification failed', { deploymentId: run.input.deploymentId, error: String(err) });
    run.record('approval', 'NotifyFailed', `approvers could not be notified: ${String(err)}`);
  }
  const decided = await condition(() => run.view.approval.state !== 'Pending', timeoutMs);
  if (!decided) {
    run.view.approval = { ...run.view.approval, state: 'TimedOut', decidedAt: new Date(Date.now()).toISOString(), reason: 'approval deadline passed' };
    run.record('approval', 'TimedOut', `no decision by ${run.view.approval.deadline}`);
    throw new DeploymentEnding('Cancelled', 'approval', `approval deadline ${run.view.approval.deadline} passed`);
  }
  const a = run.view.approval;
  if (a.state === 'Rejected') throw new DeploymentEnding('Cancelled', 'approval', `rejected by ${a.decidedByName ?? a.decidedBy}: ${a.reason}`);
  await run.publish();
}
