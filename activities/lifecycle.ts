/** Registry side of promotion and retirement: the model's activeVersion and version statuses. */
import type { Environment } from '../domain/deployments/enums';
import type { VersionStatus } from '../domain/models/enums';
import type { ModelVersion } from '../domain/models/model';
import type { DeploymentActivityDeps } from './deployment-deps';
import { badInput, findModelVersion } from './activity-support';

/**
 * The statuses a version passes through on its way to Deployed. A deployment that reached
 * promotion has validated the version itself (its validation gate), so Registered and
 * Validating go through Validated. Example: pathToDeployed('Registered') → ['Validating', 'Validated', 'Deployed'].
 */
export function pathToDeployed(from: VersionStatus): VersionStatus[] {
  switch (from) {
    case 'Registered':
      return ['Validating', 'Validated', 'Deployed'];
    case 'Validating':
      return ['Validated', 'Deployed'];
    case 'Validated':
    case 'Approved':
    case 'Deprecated':
      return ['Deployed'];
    default:
      return [];
  }
}

const MAX_RACES = 5;

export function createLifecycleActivities(deps: DeploymentActivityDeps) {
  const now = () => deps.now?.() ?? new Date();

  /** Moves a version along `path(status)` one conditional step at a time, re-reading when someone else moved it. */
  async function walk(version: ModelVersion, path: (s: VersionStatus) => VersionStatus[], by: string, reason: string): Promise<void> {
    let current: ModelVersion | null = version;
    for (let race = 0; current && race < MAX_RACES; race++) {
      let moved = true;
      for (const next of path(current.status)) {
        const after: ModelVersion | null = await deps.versions.transition(current.versionId, current.status, { status: next, at: now(), by, reason });
        if (!after) {
          moved = false;
          break;
        }
        current = after;
      }
      if (moved) return;
      current = await deps.versions.find(version.modelId, version.versionId);
    }
    if (current && path(current.status).length > 0) throw new Error(`version ${version.version} keeps changing status concurrently; will retry`);
  }

  return {
    /**
     * The version becomes Deployed (statusHistory names the deployment) and, in Production, the
     * model's activeVersion; the deployment projections of (model, environment) follow (Superseded,
     * or back in force after a rollback). Doing it again changes nothing.
     */
    async activateVersion(input: { deploymentId: string; modelId: string; environment: Environment; versionId: string; previousVersionId: string | null }): Promise<void> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      if (version.status === 'Archived') throw badInput('CONFLICT', `${model.name} ${version.version} is archived and cannot become active`);
      const reason = `deployment ${input.deploymentId} made it active in ${input.environment}${input.previousVersionId ? ` (previous: ${input.previousVersionId})` : ''}`;
      await walk(version, pathToDeployed, `deployment:${input.deploymentId}`, reason);
      if (input.environment === 'Production' && model.activeVersion !== version.version) {
        const updated = await deps.models.update(model.modelId, { activeVersion: version.version }, now());
        if (!updated) throw badInput('MODEL_NOT_FOUND', `Model ${model.name} no longer exists`);
      }
      // One current deployment per model and environment: a promotion supersedes the deployments
      // whose candidate it replaced; a rollback (activating a version this deployment superseded)
      // puts the deployment of that version back in force.
      await deps.deployments.supersedeEarlier(model.modelId, input.environment, input.deploymentId, now());
      await deps.deployments.reinstateSuperseded(model.modelId, input.environment, input.deploymentId, version.versionId, now());
    },

    /**
     * Deployed → Deprecated, unless the version still serves somewhere (a routing table sends it
     * traffic, or it is Production's activeVersion): then nothing changes. Idempotent.
     */
    async retireVersion(input: { deploymentId: string; modelId: string; environment: Environment; versionId: string }): Promise<void> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      if (version.status !== 'Deployed') return;
      if (model.activeVersion === version.version) return;
      if ((await deps.routing.routedVersionIds(model.modelId)).includes(version.versionId)) return;
      await walk(version, (s) => (s === 'Deployed' ? ['Deprecated'] : []), `deployment:${input.deploymentId}`, `retired by deployment ${input.deploymentId} in ${input.environment}`);
    },
  };
}
