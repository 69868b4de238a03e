/** Warm-up: load the version on the target servers; traffic moves only once every one reports it ready. */
import { durationMs } from '../../domain/deployments/iso-duration';
import { warmUps } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';
import { DeploymentEnding } from './ending';

export async function warmUpGate(run: DeploymentRun, servers: string[] = run.servers): Promise<void> {
  if (servers.length === 0) throw new DeploymentEnding('Failed', 'warm-up', `no model servers host ${run.view.modelName} in ${run.input.environment}`);
  await run.setStatus('Deploying', 'WarmingUp');
  run.compensation.candidateOn = [...new Set([...run.compensation.candidateOn, ...servers])];
  const result = await warmUps(durationMs(run.input.config.warmupDuration)).warmUpVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: run.input.versionId, servers });
  if (result.failed.length > 0) {
    const reason = result.failed.map((f) => `${f.server}: ${f.reason}`).join('; ');
    run.record('warmUp', 'Failed', reason);
    throw new DeploymentEnding('Failed', 'warm-up', `the candidate did not become ready on every server: ${reason}`);
  }
  run.view.assignedServers = [...servers];
  run.record('warmUp', 'Ready', `ready on ${result.ready.join(', ')}`);
}
