/** Small helpers every deployment activity file shares: labelled failures, lookups, heartbeats. */
import { asyncLocalStorage } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode } from '../domain/errors';
import type { Model, ModelVersion } from '../domain/models/model';
import type { Environment } from '../domain/deployments/enums';
import { DEFAULT_PLACEMENT, DEFAULT_POOL } from '../domain/serving/placement';
import type { ServerRecord } from '../infra/mongo/server-registry';
import type { DeploymentActivityDeps } from './deployment-deps';

/** Bad input: retrying cannot help. Typed with the error catalogue's code so the workflow (and API) can tell. */
export function badInput(code: ErrorCode, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: code, nonRetryable: true, ...(details !== undefined && { details: [details] }) });
}

export async function findModel(deps: Pick<DeploymentActivityDeps, 'models'>, modelId: string): Promise<Model> {
  const model = await deps.models.findByIdOrName(modelId);
  if (!model) throw badInput('MODEL_NOT_FOUND', `Model ${modelId} does not exist`);
  return model;
}

export async function findVersion(deps: Pick<DeploymentActivityDeps, 'versions'>, model: Model, versionId: string): Promise<ModelVersion> {
  const version = await deps.versions.find(model.modelId, versionId);
  if (!version) throw badInput('VERSION_NOT_FOUND', `Version ${versionId} of ${model.name} does not exist`);
  return version;
}

export async function findModelVersion(deps: Pick<DeploymentActivityDeps, 'models' | 'versions'>, modelId: string, versionId: string): Promise<{ model: Model; version: ModelVersion }> {
  const model = await findModel(deps, modelId);
  return { model, version: await findVersion(deps, model, versionId) };
}

/** Model servers that heartbeated recently and are not draining, by id. */
export async function liveServers(deps: Pick<DeploymentActivityDeps, 'servers' | 'settings'>): Promise<ServerRecord[]> {
  const all = await deps.servers.live(deps.settings.serverHeartbeatTimeoutMs);
  return all.filter((s) => s.health !== 'draining');
}

/** The servers of `environment`'s pool among `servers` (SERVING_PLACEMENT; records of servers without a pool are in the default pool). */
export function poolServers(deps: Pick<DeploymentActivityDeps, 'settings'>, environment: Environment, servers: readonly ServerRecord[]): ServerRecord[] {
  const pool = (deps.settings.placement ?? DEFAULT_PLACEMENT)[environment].pool;
  return servers.filter((s) => (s.pool ?? DEFAULT_POOL) === pool);
}

/** Servers (live, not draining) that report `versionId` Ready in their heartbeat. */
export function holdersOf(servers: readonly ServerRecord[], versionId: string): string[] {
  return servers.filter((s) => s.loaded.some((l) => l.versionId === versionId && l.state === 'Ready')).map((s) => s._id);
}

/** Heartbeats when running as an activity (a no-op when called outside one, e.g. from a script). */
export function beat(details?: unknown): void {
  asyncLocalStorage.getStore()?.heartbeat(details);
}

/** The activity's logger (carries workflow and activity ids), or undefined outside an activity. */
export function activityLog() {
  return asyncLocalStorage.getStore()?.log;
}

/** The activity's cancellation signal, or undefined outside an activity. */
export function cancellation(): AbortSignal | undefined {
  return asyncLocalStorage.getStore()?.cancellationSignal;
}

/** Sleeps `ms`, heartbeating every few seconds; rejects when the activity is cancelled. */
export async function pause(ms: number, signal = cancellation()): Promise<void> {
  let left = ms;
  while (left > 0) {
    const step = Math.min(left, 5000);
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, step);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    left -= step;
    beat();
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
