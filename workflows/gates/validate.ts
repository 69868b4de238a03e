/**
 * Validation gate. Each check is one activity run in parallel; to add a gate (bias, drift,
 * latency budget…), add an activity to DeploymentActivities and an entry to CHECKS.
 * The measured gates (latency, accuracy, memory, bias) are judged by domain/validation/gates.ts;
 * a failed one waits for an Admin's override (./gate-override.ts) before the deployment fails.
 */
import { patched } from '@temporalio/workflow';
import type { ValidationCheck } from '../../domain/deployments/deployment-status';
import { summarizeValidation } from '../../domain/deployments/deployment-status';
import { DEFAULT_VALIDATION_GATES } from '../../domain/validation/gate-thresholds';
import { assessMeasuredGates } from '../../domain/validation/gates';
import { reads, storeReads } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';
import { DeploymentEnding } from './ending';
import { awaitOverrides } from './gate-override';

/** Runs recorded before the measured gates replay without them. */
export const MEASURED_GATES_PATCH = 'measured-validation-gates';

type Check = (run: DeploymentRun) => Promise<ValidationCheck | ValidationCheck[]>;

const gatesOf = (run: DeploymentRun) => run.input.config.validationGates ?? DEFAULT_VALIDATION_GATES;

const CHECKS: readonly Check[] = [
  async (run) => {
    const r = await storeReads.verifyArtifactIntegrity({ modelId: run.input.modelId, versionId: run.input.versionId });
    return { name: 'artifact-integrity', passed: r.verified, message: r.verified ? `checksum ${r.checksum} (${r.sizeBytes} bytes) verified` : (r.reason ?? 'checksum mismatch') };
  },
  (run) => storeReads.checkCandidateLoads({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: run.input.versionId }),
  (run) => reads.checkSchemaCompatibility({ modelId: run.input.modelId, versionId: run.input.versionId, stableVersionId: run.stable?.versionId ?? null }),
];

const MEASURED: Check = async (run) => {
  const gates = gatesOf(run);
  const m = await storeReads.measureCandidate({
    deploymentId: run.input.deploymentId,
    modelId: run.input.modelId,
    versionId: run.input.versionId,
    stableVersionId: run.stable?.versionId ?? null,
    environment: run.input.environment,
    holdoutSamples: gates.holdoutSamples,
    latencySamples: gates.latencySamples,
  });
  return assessMeasuredGates(m, gates);
};

const describe = (checks: ValidationCheck[]) => checks.map((c) => `${c.name}: ${c.message}`).join('; ');

export async function validateGate(run: DeploymentRun): Promise<void> {
  await run.setStatus('Validating', 'Validating');
  const all = patched(MEASURED_GATES_PATCH) ? [...CHECKS, MEASURED] : CHECKS;
  const checks = (await Promise.all(all.map((check) => check(run)))).flat();
  run.view.validationResult = summarizeValidation(checks, new Date(Date.now()).toISOString());
  const failed = checks.filter((c) => !c.passed);
  run.record('validate', failed.length === 0 ? 'Passed' : 'Failed', failed.length === 0 ? checks.map((c) => c.name).join(', ') + ' passed' : describe(failed));
  if (failed.length > 0 && failed.every((c) => c.overridable)) {
    const timeout = gatesOf(run).overrideTimeout;
    run.record('validate', 'AwaitingOverride', `${failed.map((c) => c.name).join(', ')} failed: an Admin may override within ${timeout}`);
    if (await awaitOverrides(run, timeout)) {
      await run.setPhase('Validating');
      return;
    }
    run.record('validate', 'OverrideTimedOut', `no override within ${timeout}`);
  }
  const still = run.view.validationResult.checks.filter((c) => !c.passed);
  if (still.length > 0) throw new DeploymentEnding('Failed', 'validation', `validation failed: ${describe(still)}`);
  await run.publish();
}
