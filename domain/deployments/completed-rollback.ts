/**
 * Rollback of a deployment whose workflow has ended (issue 11 "rollback at any time"): the pure
 * rule that accepts or refuses it. The API checks the route's permission (deployments:control)
 * and that no other deployment of the model and environment is running.
 */
import { hasEnded, type DeploymentStatusView } from './deployment-status';

/**
 * Why a completed deployment cannot be rolled back (null when it can): it must have ended Active
 * (its candidate serves), not have been superseded by a later deployment, and have had a previous
 * version to go back to. Examples: {status: 'Superseded', supersededBy: 'dep-2'} → '… superseded by
 * dep-2 …'; {status: 'Active', completedAt: '…', stable: {…}} → null.
 */
export function completedRollbackProblem(view: Pick<DeploymentStatusView, 'deploymentId' | 'status' | 'completedAt' | 'stable' | 'supersededBy' | 'phase'>): string | null {
  const id = view.deploymentId;
  if (!hasEnded(view)) return `deployment ${id} is still running; its workflow takes the rollback`;
  if (view.status === 'Superseded')
    return `deployment ${id} was superseded by ${view.supersededBy ?? 'a later deployment'} of the same model and environment; only the current deployment can be rolled back (roll back ${view.supersededBy ?? 'that one'} instead)`;
  if (view.status !== 'Active') return `nothing to roll back: deployment ${id} ended ${view.status}`;
  if (view.phase === 'RollingBack') return `deployment ${id} is already being rolled back`;
  if (!view.stable) return `deployment ${id} was a first deployment: there is no previous version to roll back to`;
  return null;
}
