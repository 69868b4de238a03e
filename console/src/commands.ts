/**
 * Which command buttons a deployment page shows: the role must hold the permission
 * (domain/permissions.ts) and the deployment must be in a state where the command can apply
 * (domain/deployments/commands.ts has the full rules). The server still decides: four-eyes,
 * races and everything else come back as errors shown on the page.
 */
import { can, type Role } from '../../domain/permissions';
import type { DeploymentStatus } from '../../domain/deployments/enums';

export const COMMANDS = ['approve', 'reject', 'pause', 'resume', 'promote', 'abort', 'rollback'] as const;
export type Command = (typeof COMMANDS)[number];

const RUNNING: readonly DeploymentStatus[] = ['Pending', 'Validating', 'AwaitingApproval', 'Deploying', 'Paused'];

/** Example: ('MLEngineer', { status: 'Deploying' }) → pause, promote, abort, rollback. */
export function visibleCommands(role: Role, d: { status: DeploymentStatus; completedAt: string | null }): Command[] {
  const shown: Command[] = [];
  if (can(role, 'deployments:approve') && d.status === 'AwaitingApproval') shown.push('approve', 'reject');
  if (!can(role, 'deployments:control')) return shown;
  if (d.status === 'Deploying') shown.push('pause');
  if (d.status === 'Paused') shown.push('resume');
  if (d.status === 'Deploying' || d.status === 'Paused' || (d.status === 'Active' && d.completedAt === null)) shown.push('promote');
  if (RUNNING.includes(d.status)) shown.push('abort');
  if (d.status === 'Deploying' || d.status === 'Paused' || d.status === 'Active') shown.push('rollback');
  return shown;
}

/** Abort, reject and rollback need a reason (so does approve); pause, resume and promote take one. */
export const needsReason = (c: Command): boolean => c !== 'pause' && c !== 'resume' && c !== 'promote';
