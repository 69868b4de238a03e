/**
 * rollbackDeployment: rolls back a deployment whose own workflow has ended (issue 11 "rollback at
 * any time"). Its own workflow (id `rollback-<deploymentId>`, visible in the Web UI) so the
 * ended deployment's history stays closed. Order is what keeps every request answered: load the
 * versions the restored route needs and wait until they are Ready, route back (done when every
 * gateway confirmed), and only then move the active version and unload the candidate.
 */
import { ApplicationFailure, log, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { Actor } from '../domain/deployments/commands';
import type { DeploymentResult, DeploymentStatusView, RollbackRecord } from '../domain/deployments/deployment-status';
import type { DeploymentPhase } from '../domain/deployments/enums';
import type { RouteApplied } from '../activities/deployment-activity-types';
import { deploymentEvent } from '../domain/notifications/events';
import { bookkeeping, changes, reads, routing, warmUps } from './activity-stubs';
import { startNotification } from './deliver-notification';
import { NOTIFICATION_EVENTS_PATCH } from './gates/notify';
import { DeploymentPhaseKey, DeploymentStrategyKey, EnvironmentKey, ModelNameKey, ModelVersionKey } from './search-attributes';

export interface RollbackDeploymentInput {
  /** The deployment's projection when the rollback was asked for (its sequence orders the writes that follow). */
  deployment: DeploymentStatusView;
  by: Actor;
  reason: string;
}

/** The workflow id of a completed deployment's rollback: one per deployment, so a repeated request joins the running one. */
export const rollbackWorkflowId = (deploymentId: string) => `rollback-${deploymentId}`;

const RELOAD_TIMEOUT_MS = 10 * 60_000;
const MAX_HISTORY = 500;
const iso = (ms: number) => new Date(ms).toISOString();

export async function rollbackDeployment(input: RollbackDeploymentInput): Promise<DeploymentResult> {
  const d = input.deployment;
  const view: DeploymentStatusView = { ...d, history: [...d.history] };
  const ids = { deploymentId: d.deploymentId, modelId: d.modelId };
  const who = `${input.by.username}: ${input.reason}`;
  const decidedAt = Date.now();

  const record = (decision: string, reason: string, step = 'rollback') => {
    view.history.push({ at: iso(Date.now()), step, decision, reason });
    if (view.history.length > MAX_HISTORY) view.history.splice(0, view.history.length - MAX_HISTORY);
  };
  const publish = async (phase: DeploymentPhase) => {
    view.phase = phase;
    view.sequence += 1;
    view.updatedAt = iso(Date.now());
    upsertSearchAttributes([{ key: DeploymentPhaseKey, value: phase }]);
    try {
      await bookkeeping.recordDeploymentStatus({ ...view, history: [...view.history] });
    } catch (err) {
      log.warn('deployment projection not written', { deploymentId: d.deploymentId, error: String(err) });
    }
  };
  /** Gives up before traffic moved: the deployment stays Active, its history says why; the run fails so a later request may try again. */
  const giveUp = async (reason: string, type: 'CONFLICT' | 'SERVICE_UNAVAILABLE'): Promise<never> => {
    record('Failed', reason);
    await publish(d.phase);
    throw ApplicationFailure.create({ message: reason, type, nonRetryable: true });
  };

  upsertSearchAttributes([
    { key: ModelNameKey, value: d.modelName },
    { key: ModelVersionKey, value: d.version },
    { key: DeploymentStrategyKey, value: d.strategy },
    { key: EnvironmentKey, value: d.environment },
  ]);
  record('Requested', `rollback of the completed deployment requested by ${who}`);
  await publish('RollingBack');

  const target = await reads.resolveRollbackTarget({ ...ids, environment: d.environment, versionId: d.versionId, stable: d.stable });
  if (target.problem) return giveUp(target.problem, 'CONFLICT');

  // Loads go through warmUpVersion (a no-op where the version is Ready already): traffic moves only to Ready versions.
  for (const versionId of target.versionIds) {
    const warm = await warmUps(RELOAD_TIMEOUT_MS).warmUpVersion({ ...ids, versionId, servers: target.servers });
    const failed = warm.failed.map((f) => `${f.server}: ${f.reason}`).join('; ');
    if (warm.ready.length === 0) return giveUp(`${versionId} did not become Ready on any model server${failed ? ` (${failed})` : ''}; traffic left on ${d.version}`, 'SERVICE_UNAVAILABLE');
    record('Ready', `${versionId === target.previous.versionId ? target.previous.version : versionId} Ready on ${warm.ready.join(', ')}${failed ? `; not on ${failed}` : ''}`, 'reload');
  }

  const restored: RouteApplied = await routing.applyRoute({
    ...ids,
    environment: d.environment,
    sequence: target.lastSequence + 1,
    route: target.route,
    reason: `rollback of ${d.deploymentId}: ${who}`,
  });
  view.trafficPercentage = target.route.pools.find((p) => p.versionId === d.versionId)?.weight ?? 0;

  const errors: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  const env = { ...ids, environment: d.environment };
  await attempt('reactivate previous version', () => changes.activateVersion({ ...env, versionId: target.previous.versionId, previousVersionId: d.versionId }));
  await attempt('retire candidate', () => changes.retireVersion({ ...env, versionId: d.versionId }));
  // keepIfRouted: another environment may still route the candidate; it then stays loaded there.
  const unloaded = await attempt('unload candidate', () => changes.unloadVersion({ ...ids, versionId: d.versionId, keepIfRouted: true }));

  let durationMs = Date.parse(restored.confirmedAt) - decidedAt;
  // The workflow clock is the task's start time; a negative difference means the activity's own measure is the better one.
  if (!(durationMs >= 0)) durationMs = restored.elapsedMs;
  const rollback: RollbackRecord = {
    trigger: 'rollback-command',
    reason: `rollback requested by ${who}`,
    decidedAt: iso(decidedAt),
    trafficRestoredAt: restored.confirmedAt,
    durationMs,
    routeRevision: restored.revision,
    errors,
    requestedBy: input.by.username,
    workflowId: null,
  };
  view.rollback = rollback;
  view.status = 'RolledBack';
  view.completedAt = iso(Date.now());
  view.errorMessage = rollback.reason;
  view.currentStep = null;
  const routeNote = target.restoresRevision !== null ? `routing of revision ${target.restoresRevision} restored` : `${target.previous.version} at 100 %`;
  record(errors.length === 0 ? 'Done' : 'DoneWithErrors', `rollback-command: ${who}; ${routeNote} as revision ${restored.revision}, traffic restored in ${durationMs} ms${unloaded?.kept ? `; candidate left loaded: ${unloaded.kept}` : ''}${errors.length ? `; errors: ${errors.join('; ')}` : ''}`);
  record('RolledBack', rollback.reason, 'end');
  await publish('RolledBack');
  // A child: the API waits for this workflow's result, and must not wait for a webhook.
  if (patched(NOTIFICATION_EVENTS_PATCH)) await startNotification(deploymentEvent('deployment.rolled_back', view, iso(Date.now())));
  return view;
}
