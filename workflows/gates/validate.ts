/**
 * Validation gate. Each check is one activity run in parallel; to add a gate (bias, drift,
 * latency budget…), add an activity to DeploymentActivities and an entry to CHECKS.
 */
import type { ValidationCheck } from '../../domain/deployments/deployment-status';
import { summarizeValidation } from '../../domain/deployments/deployment-status';
import { reads, storeReads } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';
import { DeploymentEnding } from './ending';

type Check = (run: DeploymentRun) => Promise<ValidationCheck>;

const CHECKS: readonly Check[] = [
  async (run) => {
    const r = await storeReads.verifyArtifactIntegrity({ modelId: run.input.modelId, versionId: run.input.versionId });
    return { name: 'artifact-integrity', passed: r.verified, message: r.verified ? `checksum ${r.checksum} (${r.sizeBytes} bytes) verified` : (r.reason ?? 'checksum mismatch') };
  },
  (run) => storeReads.checkCandidateLoads({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: run.input.versionId }),
  (run) => reads.checkSchemaCompatibility({ modelId: run.input.modelId, versionId: run.input.versionId, stableVersionId: run.stable?.versionId ?? null }),
];

export async function validateGate(run: DeploymentRun): Promise<void> {
  await run.setStatus('Validating', 'Validating');
  const checks = await Promise.all(CHECKS.map((check) => check(run)));
  run.view.validationResult = summarizeValidation(checks, new Date(Date.now()).toISOString());
  const failed = checks.filter((c) => !c.passed);
  run.record('validate', failed.length === 0 ? 'Passed' : 'Failed', failed.length === 0 ? checks.map((c) => c.name).join(', ') + ' passed' : failed.map((c) => `${c.name}: ${c.message}`).join('; '));
  if (failed.length > 0) throw new DeploymentEnding('Failed', 'validation', `validation failed: ${failed.map((c) => `${c.name}: ${c.message}`).join('; ')}`);
  await run.publish();
}
