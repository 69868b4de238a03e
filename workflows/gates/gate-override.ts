/**
 * A failed measured gate waits for an Admin's override (the overrideGate update) until the
 * deployment's validationGates.overrideTimeout; then the deployment fails.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { overrideGate, overridableFailures, type ValidationReport } from '../../domain/deployments/deployment-status';
import { durationMs } from '../../domain/deployments/iso-duration';
import { overrideRefusal, type GateOverrideCommand } from '../../domain/validation/override';
import type { DeploymentRun } from '../deployment-run';
import { overrideGateUpdate } from '../messages';

/** Gates the run waits on an override for: failed, overridable, while the run waits (phase AwaitingOverride). */
const waitingOn = (run: DeploymentRun) => (run.view.phase === 'AwaitingOverride' && !run.compensating && !run.ended ? overridableFailures(run.view.validationResult) : []);

export function installOverrideHandler(run: DeploymentRun): void {
  setHandler(
    overrideGateUpdate,
    (cmd: GateOverrideCommand): ValidationReport => {
      const at = new Date(Date.now()).toISOString();
      run.view.validationResult = overrideGate(run.view.validationResult!, cmd.gate, { by: cmd.by.id, byName: cmd.by.username, reason: cmd.reason, at });
      run.record('validate', 'Overridden', `${cmd.by.username} overrode gate ${cmd.gate}: ${cmd.reason}`);
      return run.view.validationResult;
    },
    {
      validator: (cmd: GateOverrideCommand) => {
        const refusal = overrideRefusal(cmd, waitingOn(run));
        if (refusal) throw ApplicationFailure.create({ message: refusal.message, type: refusal.code, nonRetryable: true });
      },
    },
  );
}

/** Waits until every overridable failure was overridden; false when the timeout passed first. */
export async function awaitOverrides(run: DeploymentRun, timeout: string): Promise<boolean> {
  const ms = durationMs(timeout);
  if (ms <= 0) return false;
  await run.setPhase('AwaitingOverride');
  return condition(() => overridableFailures(run.view.validationResult).length === 0, ms);
}
