/** A decided bad ending, thrown from a gate or step and caught by the workflow skeleton. */
import type { RollbackTrigger } from '../../domain/deployments/deployment-status';

export type BadStatus = 'Failed' | 'RolledBack' | 'Cancelled';

export class DeploymentEnding extends Error {
  constructor(
    readonly status: BadStatus,
    readonly trigger: RollbackTrigger,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'DeploymentEnding';
  }
}

/** The candidate served user traffic → RolledBack; otherwise it was rejected before that → Failed. */
export function endingAfterTraffic(trafficMoved: boolean, trigger: RollbackTrigger, reason: string): DeploymentEnding {
  return new DeploymentEnding(trafficMoved ? 'RolledBack' : 'Failed', trigger, reason);
}
