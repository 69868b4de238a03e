/**
 * Compensation: the undo path that runs on every bad ending. Order matters for users: first
 * route traffic back to the still-warm stable version (timed: decision → every gateway
 * confirmed), then undo the registry change, then unload the candidate. Each undo step logs and
 * swallows its error so the others still run (saga habit); the errors are recorded.
 */
import { log, patched } from '@temporalio/workflow';
import type { RollbackRecord, RollbackTrigger } from '../../domain/deployments/deployment-status';
import type { RouteApplied } from '../../activities/deployment-activity-types';
import { changes, warmUps } from '../activity-stubs';
import type { DeploymentRun } from '../deployment-run';
import { applyCompensatingRoute, stableRoute } from './routing';

const ROLLBACK_WARMUP_MS = 10 * 60_000;
/** Workflow patch: a first deployment no longer tries to route back to nothing (an empty route is refused). */
export const FIRST_DEPLOYMENT_ROLLBACK_PATCH = 'first-deployment-rollback-keeps-route';
/**
 * Workflow patch: traffic moves back before the RollingBack projection is written. Why: the
 * projection write (a bookkeeping activity and a locked MongoDB update) stood between the command
 * and the route, and a rollback in the bake window must have traffic back within 1 s.
 */
export const ROUTE_BEFORE_PROJECTION_PATCH = 'rollback-routes-before-projection';

export async function compensate(run: DeploymentRun, trigger: RollbackTrigger, reason: string): Promise<RollbackRecord> {
  run.compensating = true;
  const decidedAt = Date.now();
  const c = run.compensation;
  const errors: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      log.error('compensation step failed', { deploymentId: run.input.deploymentId, step: what, error: message });
      errors.push(message);
      return undefined;
    }
  };
  const routeFirst = patched(ROUTE_BEFORE_PROJECTION_PATCH);
  if (routeFirst) run.showPhase('RollingBack');
  else await run.setPhase('RollingBack');

  let restored: RouteApplied | undefined;
  const notes: string[] = [];
  if (c.routeChanged && !run.stable && !c.stableRetired && patched(FIRST_DEPLOYMENT_ROLLBACK_PATCH)) {
    // A first deployment has no previous version to route back to, and a route without pools is
    // refused: leave the route as it is (the candidate, if it was written, keeps serving — nothing
    // else could) rather than fail the rollback.
    notes.push('no previous version to route back to (first deployment): route left unchanged');
  } else if (c.stableRetired) {
    errors.push('the previous version was already retired: nothing to roll back to (deploy it again)');
  } else if (c.routeChanged) {
    const stableServers = run.servers.filter((s) => !c.stableUnloadedOn.includes(s));
    if (c.stableUnloadedOn.length > 0 && run.stable) {
      // Rolling update: stable is warm only on servers not yet updated. Route there first, then
      // load stable back where it was unloaded and widen the route.
      if (stableServers.length > 0) restored = await attempt('route to stable', () => applyCompensatingRoute(run, stableRoute(run, stableServers), `rollback: ${reason}`));
      await attempt('reload stable', () => warmUps(ROLLBACK_WARMUP_MS).warmUpVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: run.stable!.versionId, servers: c.stableUnloadedOn }));
      const widened = await attempt('route to stable everywhere', () => applyCompensatingRoute(run, stableRoute(run), `rollback: ${reason}`));
      restored = restored ?? widened;
      c.stableUnloadedOn = [];
    } else {
      restored = await attempt('route to stable', () => applyCompensatingRoute(run, stableRoute(run), `rollback: ${reason}`));
    }
  }
  if (routeFirst) await run.publish();
  if (c.activated && run.stable && !c.stableRetired) {
    const previous = run.stable.versionId;
    await attempt('reactivate previous version', () => changes.activateVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, environment: run.input.environment, versionId: previous, previousVersionId: run.input.versionId }));
    await attempt('retire candidate', () => changes.retireVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, environment: run.input.environment, versionId: run.input.versionId }));
  }
  if (c.candidateOn.length > 0 && !c.stableRetired) {
    // keepIfRouted: a route that still sends it traffic (a first deployment, another environment) keeps it loaded.
    const unloaded = await attempt('unload candidate', () => changes.unloadVersion({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: run.input.versionId, servers: c.candidateOn, keepIfRouted: true }));
    if (unloaded?.kept) notes.push(`candidate left loaded: ${unloaded.kept}`);
  }

  let durationMs: number | null = null;
  if (restored) {
    durationMs = Date.parse(restored.confirmedAt) - decidedAt;
    // Why the fallback: the workflow clock is the task's start time (and jumps on a time-skipping
    // test server), so a negative difference means the activity's own measurement is the better one.
    if (!(durationMs >= 0)) durationMs = restored.elapsedMs;
  }
  const record: RollbackRecord = {
    trigger,
    reason,
    decidedAt: new Date(decidedAt).toISOString(),
    trafficRestoredAt: restored?.confirmedAt ?? null,
    durationMs,
    routeRevision: restored?.revision ?? null,
    errors,
    requestedBy: run.stop?.byName ?? null,
  };
  run.view.rollback = record;
  run.record('rollback', errors.length === 0 ? 'Done' : 'DoneWithErrors', `${trigger}: ${reason}${durationMs !== null ? `; traffic restored in ${durationMs} ms` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}${errors.length ? `; errors: ${errors.join('; ')}` : ''}`);
  return record;
}
