/** Promotion, the bake window's previous version, and its retirement. */
import { patched } from '@temporalio/workflow';
import { durationMs } from '../../domain/deployments/iso-duration';
import { changes, warmUps } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';
import { notify } from './notify';
import { applyForwardRoute, splitRoute } from './routing';

/**
 * Workflow patch: a promote command skips the steps up to promotion, not the bake window after it
 * (a promote during the bake ends the bake). Runs recorded before it skipped the bake as well.
 */
export const BAKE_AFTER_PROMOTE_COMMAND_PATCH = 'bake-window-after-promote-command';

/** Routes 100% to the candidate (confirmed by every gateway) and makes it the active version. The deployment is Active from here. */
export async function promoteStep(run: DeploymentRun): Promise<void> {
  // A supersede also asks for promotion: that one must skip the bake too.
  if (patched(BAKE_AFTER_PROMOTE_COMMAND_PATCH) && !run.supersede) run.promoteRequested = false;
  await run.setPhase('Promoting');
  const applied = await applyForwardRoute(run, splitRoute(run, 100), 'promote');
  run.compensation.activated = true;
  await changes.activateVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, environment: run.input.environment, versionId: run.input.versionId, previousVersionId: run.stable?.versionId ?? null });
  run.record('promote', 'Promoted', `100% on ${run.view.version} (route revision ${applied.revision}); active version moved`);
  await run.setStatus('Active', run.stable ? 'KeepingPreviousWarm' : 'Active');
  notify(run, 'deployment.promoted');
}

/**
 * Rolling updates unloaded the previous version server by server: load it again there so the bake
 * window keeps it warm (a rollback is then one routing change). Servers where it does not load
 * stay listed in compensation.stableUnloadedOn, so a rollback reloads them first.
 */
export async function rewarmPreviousStep(run: DeploymentRun): Promise<void> {
  const stable = run.stable;
  const servers = run.compensation.stableUnloadedOn;
  if (!stable || servers.length === 0) return;
  const result = await warmUps(durationMs(run.input.config.warmupDuration)).warmUpVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: stable.versionId, servers });
  run.compensation.stableUnloadedOn = servers.filter((s) => !result.ready.includes(s));
  const failed = result.failed.map((f) => `${f.server}: ${f.reason}`).join('; ');
  run.record('rewarmPrevious', failed ? 'Partial' : 'Ready', `${stable.version} warm on ${result.ready.join(', ') || 'no server'}${failed ? `; not on ${failed}` : ''}`);
}

/**
 * Unloads the previous version and marks it Deprecated. From here a rollback is a new workflow
 * (rollbackDeployment: reload, route back).
 * A version another environment still routes stays loaded and Deployed there (retireVersion
 * also leaves a routed version alone): that is not a failure of this deployment.
 */
export async function retirePreviousStep(run: DeploymentRun): Promise<void> {
  const stable = run.stable;
  if (!stable) return;
  run.compensation.stableRetired = true;
  const unloaded = await changes.unloadVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: stable.versionId, keepIfRouted: true });
  await changes.retireVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, environment: run.input.environment, versionId: stable.versionId });
  // `unloaded` is undefined when replaying a history recorded before unloadVersion returned a result.
  if (unloaded?.kept) run.record('retirePrevious', 'Kept', `${stable.version} left loaded and Deployed: ${unloaded.kept}`);
  else run.record('retirePrevious', 'Retired', `${stable.version} unloaded and Deprecated`);
}
