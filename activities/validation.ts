/**
 * Validation gates "the model loads" and "schemas match". (Gate "artifact integrity" is the
 * registry activity verifyArtifactIntegrity.) To add a gate: an activity here, a method in
 * DeploymentActivities, an entry in the workflow's CHECKS list.
 */
import { createHash } from 'node:crypto';
import type { ValidationCheck } from '../domain/deployments/deployment-status';
import { sampleRows } from '../domain/feature-schema';
import type { DeploymentActivityDeps } from './deployment-deps';
import { beat, cancellation, errorText, findModelVersion, liveServers } from './activity-support';
import { outputsOf, predictionProblem, schemaCompatibilityProblems } from './schema-checks';
import { ServerUnreachableError } from './model-server-client';

const LOADS = 'model-loads';
const SCHEMAS = 'schema-compatibility';

/**
 * The scratch identity a validation load uses on a server. Why not the real one: the version
 * may already serve there (a redeploy), and unloading it afterwards would take it away; a
 * separate model name also keeps it out of "newest version" lookups of the real model.
 */
export function scratchIdentity(deploymentId: string, modelName: string, versionId: string, version: string) {
  const tag = createHash('sha256').update(`${deploymentId}\n${versionId}`).digest('hex').slice(0, 12);
  return { versionId: `validate-${tag}`, modelName: `${modelName}:validate:${tag}`, version };
}

/** The trial load could not fetch the artifact because the store is away: retried, not a verdict on the version. */
class ArtifactStoreUnavailableError extends Error {
  override name = 'ArtifactStoreUnavailableError';
}

export function createValidationActivities(deps: DeploymentActivityDeps) {
  return {
    /**
     * Loads the candidate under a scratch identity on one live server (the server verifies the
     * checksum, builds the session, checks the graph against the schemas and warms it up),
     * runs one generated sample row, checks the answer against the output schema, and unloads
     * it again — also when anything failed, so nothing stays loaded. Repeating it repeats the
     * same load and unload.
     */
    async checkCandidateLoads(input: { deploymentId: string; modelId: string; versionId: string }): Promise<ValidationCheck> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      const servers = await liveServers(deps);
      if (servers.length === 0) return { name: LOADS, passed: false, message: 'no live model server to try the load on' };
      // The same server for every attempt of a deployment, so a retry unloads what an earlier attempt loaded.
      const pick = parseInt(createHash('sha256').update(input.deploymentId).digest('hex').slice(0, 8), 16) % servers.length;
      const server = servers[pick];
      const scratch = scratchIdentity(input.deploymentId, model.name, version.versionId, version.version);
      const signal = cancellation();
      const started = Date.now();
      const timer = setInterval(() => beat('loading'), 5000);
      try {
        const outcome = await deps.modelServers.load(server.url, {
          ...scratch,
          artifactKey: version.artifactKey,
          checksum: version.checksum,
          inputSchema: version.inputSchema,
          outputSchema: version.outputSchema,
          options: { warmupRuns: 1 },
        }, signal);
        // The artifact store is away: not the version's fault; retried (the activity's retry policy).
        if (!outcome.ok && outcome.code === 'SERVICE_UNAVAILABLE') throw new ArtifactStoreUnavailableError(`${version.version} could not be fetched on ${server._id}: ${outcome.reason}`);
        if (!outcome.ok) return { name: LOADS, passed: false, message: `${version.version} did not load on ${server._id}: ${outcome.code}: ${outcome.reason}` };
        const loadMs = Date.now() - started;
        if (version.interface === 'oip') return { name: LOADS, passed: true, message: `${version.version} (OIP-only: no feature schema to build a sample row from) loaded on ${server._id} in ${loadMs} ms` };
        const outputs = outputsOf(version.outputSchema);
        const [row] = sampleRows(version.inputSchema, 1);
        const answer = await deps.modelServers.predictBatch(server.url, scratch.modelName, scratch.version, [row], signal);
        const problem = outputs ? predictionProblem(answer.predictions[0], outputs) : 'the outputSchema does not follow the x-hotswap-outputs convention';
        if (problem) return { name: LOADS, passed: false, message: `${version.version} loaded on ${server._id} but its answer to a sample row is not valid: ${problem}` };
        return { name: LOADS, passed: true, message: `${version.version} loaded, warmed up and answered a sample row on ${server._id} in ${loadMs} ms` };
      } catch (e) {
        if (signal?.aborted || e instanceof ServerUnreachableError || e instanceof ArtifactStoreUnavailableError) throw e;
        return { name: LOADS, passed: false, message: `${version.version} could not be tried on ${server._id}: ${errorText(e)}` };
      } finally {
        clearInterval(timer);
        // Why no signal here: the unload must happen even when the activity was cancelled.
        await deps.modelServers.unload(server.url, scratch.versionId).catch(() => undefined);
      }
    },

    /** Compares the candidate's schemas with the stable version's (passes for a first deployment). */
    async checkSchemaCompatibility(input: { modelId: string; versionId: string; stableVersionId: string | null }): Promise<ValidationCheck> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      if (input.stableVersionId === null) return { name: SCHEMAS, passed: true, message: 'first deployment: no stable version to compare with' };
      const stable = await deps.versions.find(model.modelId, input.stableVersionId);
      if (!stable) return { name: SCHEMAS, passed: false, message: `the stable version ${input.stableVersionId} is no longer registered` };
      if (version.interface === 'oip' && stable.interface === 'native')
        return { name: SCHEMAS, passed: false, message: `${version.version} is OIP-only (no feature schema): callers of ${stable.version}'s JSON features API would get 400` };
      if (version.interface === 'oip' || stable.interface === 'oip')
        return { name: SCHEMAS, passed: true, message: `${stable.version} is OIP-only: no feature schema of its to compare with` };
      const problems = schemaCompatibilityProblems(version, stable);
      return problems.length === 0
        ? { name: SCHEMAS, passed: true, message: `${version.version} accepts what ${stable.version} accepts and answers in the same shape` }
        : { name: SCHEMAS, passed: false, message: problems.join('; ') };
    },
  };
}
