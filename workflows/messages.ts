/**
 * The messages every deployment workflow understands. The API imports these definitions to send
 * them (client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [cmd] })).
 *
 * Every command is an update, not a signal: its validator rejects bad input (missing reason,
 * wrong role, the initiator approving their own deployment, a command that does not fit the
 * status) before it reaches history, and the caller gets a result or the reason it was refused.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalCommand, ControlCommand } from '../domain/deployments/commands';
import type { ApprovalState, DeploymentStatusView, ValidationReport } from '../domain/deployments/deployment-status';
import type { GateOverrideCommand } from '../domain/validation/override';

/** Admin approves a deployment awaiting approval. Returns the approval state. */
export const approveUpdate = defineUpdate<ApprovalState, [ApprovalCommand]>('approve');
/** Admin rejects a deployment awaiting approval (it ends Cancelled). */
export const rejectUpdate = defineUpdate<ApprovalState, [ApprovalCommand]>('reject');
/** Holds the deployment at its current step and traffic split; monitoring clocks stop. */
export const pauseUpdate = defineUpdate<DeploymentStatusView, [ControlCommand]>('pause');
export const resumeUpdate = defineUpdate<DeploymentStatusView, [ControlCommand]>('resume');
/** Skips the remaining waits and measurements and promotes the candidate now. */
export const promoteUpdate = defineUpdate<DeploymentStatusView, [ControlCommand]>('promote');
/** Stops the deployment; traffic goes back to stable (ends Cancelled). Returns once done. */
export const abortUpdate = defineUpdate<DeploymentStatusView, [ControlCommand]>('abort');
/** Rolls back to the still-warm stable version (ends RolledBack). Returns once traffic is restored and the candidate unloaded. */
export const rollbackUpdate = defineUpdate<DeploymentStatusView, [ControlCommand]>('rollback');
/** What the API sends when a new deployment of the same model and environment takes over. */
export interface SupersedeCommand extends ControlCommand {
  /** The new deployment's id. */
  supersededBy?: string;
}
/**
 * Ends the bake window of an Active deployment now: the previous version is retired (kept when
 * still routed) and the run ends Superseded. Returns once the run ended. Refused outside the bake window.
 */
export const supersedeUpdate = defineUpdate<DeploymentStatusView, [SupersedeCommand]>('supersede');
/** Admin lets a failed validation gate pass, with a reason (recorded in the report, the history and the audit log). Returns the report. */
export const overrideGateUpdate = defineUpdate<ValidationReport, [GateOverrideCommand]>('overrideGate');
/** Live status: status, progress, traffic, current step, history, approval, validation, metrics. */
export const statusQuery = defineQuery<DeploymentStatusView>('status');
