/**
 * Commands people send to a running deployment (Temporal updates) and the pure rules that accept
 * or reject them before they reach workflow history. The API checks the route's permission too;
 * these rules hold even for a caller that skips the API.
 */
import { can, type Role } from '../permissions';
import type { DeploymentStatus } from './enums';

/** Who sends a command. */
export interface Actor {
  id: string;
  username: string;
  role: Role;
}

export interface ApprovalCommand {
  by: Actor;
  reason: string;
}

export interface ControlCommand {
  by: Actor;
  /** Required for abort and rollback; optional for pause, resume and promote. */
  reason?: string;
}

export type ControlCommandKind = 'pause' | 'resume' | 'promote' | 'abort' | 'rollback' | 'supersede';

export interface CommandContext {
  status: DeploymentStatus;
  /** User id of whoever started the deployment. */
  initiatedBy: string;
  /** Whether the previous version is still warm, so a rollback is a routing change (false once retired). */
  canRollBack: boolean;
  /** Whether any step is left that a promote would skip or hurry. */
  canPromote: boolean;
  /** Whether the deployment is in its bake window: promoted, the previous version still warm, the workflow still running. */
  baking?: boolean;
  /** The approval decision so far (Pending until someone decides). */
  approvalState?: 'NotRequired' | 'Pending' | 'Approved' | 'Rejected' | 'TimedOut';
}

/**
 * Why a command is refused, typed by the error a caller gets: who may not (FORBIDDEN, 403), a
 * missing or bad reason (VALIDATION_ERROR, 400), anything that does not fit the deployment's
 * state (CONFLICT, 409).
 */
export interface CommandProblem {
  code: 'FORBIDDEN' | 'VALIDATION_ERROR' | 'CONFLICT';
  message: string;
  /** The command field at fault, for VALIDATION_ERROR's field-level details. */
  field?: 'reason' | 'by.id';
}

const forbidden = (message: string): CommandProblem => ({ code: 'FORBIDDEN', message });
const invalid = (field: 'reason' | 'by.id', message: string): CommandProblem => ({ code: 'VALIDATION_ERROR', message, field });
const conflict = (message: string): CommandProblem => ({ code: 'CONFLICT', message });

/** The error code of a refusal: FORBIDDEN over VALIDATION_ERROR over CONFLICT, as the most useful to the caller. */
export function refusalCode(problems: readonly CommandProblem[]): CommandProblem['code'] {
  if (problems.some((p) => p.code === 'FORBIDDEN')) return 'FORBIDDEN';
  if (problems.some((p) => p.code === 'VALIDATION_ERROR')) return 'VALIDATION_ERROR';
  return 'CONFLICT';
}

const hasReason = (reason: string | undefined): boolean => typeof reason === 'string' && reason.trim().length > 0 && reason.length <= 2000;

function actorProblems(by: Actor | undefined): CommandProblem[] {
  if (!by || typeof by.id !== 'string' || by.id.length === 0) return [invalid('by.id', 'the command must say who sends it (by.id)')];
  return [];
}

/**
 * Why an approve/reject would be refused (empty when it is accepted): the approval must still be
 * Pending (otherwise that is the only problem reported: a conflict), the deployment must be
 * awaiting approval, a reason is required, the approver needs deployments:approve (Admin) and
 * must not be the person who started the deployment (four-eyes rule).
 * Example: the initiator approving their own deployment → ['the initiator cannot approve or reject their own deployment'].
 */
export function approvalProblems(cmd: ApprovalCommand, ctx: CommandContext): CommandProblem[] {
  const problems = actorProblems(cmd?.by);
  if (problems.length > 0) return problems;
  // Nothing to decide is the one answer that matters (a conflict, whoever asks and why): a
  // decision must never overwrite an earlier one, a timeout, or a deployment without approval.
  if (ctx.approvalState === 'NotRequired') return [conflict(`the deployment needs no approval (${ctx.status})`)];
  if (ctx.approvalState !== undefined && ctx.approvalState !== 'Pending') return [conflict(`the approval has already been decided (${ctx.approvalState})`)];
  if (ctx.status !== 'AwaitingApproval') problems.push(conflict(`the deployment is ${ctx.status}, not AwaitingApproval`));
  if (!hasReason(cmd.reason)) problems.push(invalid('reason', 'a reason is required (1 to 2000 characters)'));
  if (!can(cmd.by.role, 'deployments:approve')) problems.push(forbidden(`role ${cmd.by.role} may not approve deployments`));
  if (cmd.by.id === ctx.initiatedBy) problems.push(forbidden('the initiator cannot approve or reject their own deployment'));
  return problems;
}

const RUNNING: readonly DeploymentStatus[] = ['Pending', 'Validating', 'AwaitingApproval', 'Deploying', 'Paused'];

/**
 * Why a control command would be refused (empty when it is accepted). Needs deployments:control
 * (MLEngineer or Admin).
 * - pause: only while Deploying; resume: only while Paused;
 * - promote: while Deploying, Paused, or Active with steps left (blue kept warm);
 * - abort: any time before the deployment ends (a reason is required);
 * - rollback: once the candidate may have received traffic and while the previous version is
 *   still warm — Deploying, Paused, or Active before the previous version is retired (a reason is required);
 * - supersede (sent by the API when a new deployment of the same model and environment starts):
 *   only in the bake window (Active, previous version still warm); a reason is required.
 */
export function controlProblems(kind: ControlCommandKind, cmd: ControlCommand, ctx: CommandContext): CommandProblem[] {
  const problems = actorProblems(cmd?.by);
  if (problems.length > 0) return problems;
  if (!can(cmd.by.role, 'deployments:control')) problems.push(forbidden(`role ${cmd.by.role} may not ${kind} deployments`));
  if ((kind === 'abort' || kind === 'rollback' || kind === 'supersede') && !hasReason(cmd.reason)) problems.push(invalid('reason', 'a reason is required (1 to 2000 characters)'));
  if (cmd.reason !== undefined && cmd.reason.length > 2000) problems.push(invalid('reason', 'the reason is longer than 2000 characters'));
  const s = ctx.status;
  switch (kind) {
    case 'pause':
      if (s !== 'Deploying') problems.push(conflict(`only a Deploying deployment can be paused; it is ${s}`));
      break;
    case 'resume':
      if (s !== 'Paused') problems.push(conflict(`only a Paused deployment can be resumed; it is ${s}`));
      break;
    case 'promote':
      if (!((s === 'Deploying' || s === 'Paused' || s === 'Active') && ctx.canPromote)) problems.push(conflict(`nothing to promote: the deployment is ${s}`));
      break;
    case 'abort':
      if (!RUNNING.includes(s) && !(s === 'Active' && ctx.canRollBack)) problems.push(conflict(`the deployment has already ended (${s})`));
      break;
    case 'rollback':
      if (!(s === 'Deploying' || s === 'Paused' || s === 'Active')) problems.push(conflict(`nothing to roll back: the deployment is ${s}`));
      else if (!ctx.canRollBack) problems.push(conflict('the previous version has been retired; deploy it again instead'));
      break;
    case 'supersede':
      if (!(s === 'Active' && ctx.baking)) problems.push(conflict(`only a deployment in its bake window can be superseded; it is ${s}`));
      break;
  }
  return problems;
}
