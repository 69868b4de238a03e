/**
 * Blue-green smoke test: labelled rows straight to the candidate on one server (not through
 * the routing table, which still sends users to blue).
 *
 * The labelled rows are the version's sample set (infra/artifact-store/sample-sets.ts says where it lives).
 * Without a sample set, rows generated from the inputSchema check that answers are valid; a
 * version with a baseline accuracy then gets an Error verdict (no labelled samples).
 */
import type { SmokeTestResult } from '../domain/deployments/smoke-test';
import { sampleRows } from '../domain/feature-schema';
import { sameLabel } from '../domain/metrics/quality';
import { findSampleSet as findIn } from '../infra/artifact-store/sample-sets';
import type { ModelVersion } from '../domain/models/model';
import type { DeploymentActivityDeps } from './deployment-deps';
import { beat, cancellation, findModelVersion, holdersOf, liveServers } from './activity-support';
import { PredictionRefusedError } from './model-server-client';
import { outputsOf, predictionProblem } from './schema-checks';

/** The version's labelled sample set, or null when it has none (see the file comment for where it is looked up). */
export function findSampleSet(deps: Pick<DeploymentActivityDeps, 'artifacts' | 'settings'>, modelName: string, version: ModelVersion) {
  return findIn({ artifacts: deps.artifacts, sampleSetsDir: deps.settings.sampleSetsDir }, modelName, version);
}

const CHUNK = 500;

export function createSmokeTestActivities(deps: DeploymentActivityDeps) {
  return {
    async runSmokeTest(input: { deploymentId: string; modelId: string; versionId: string; samples: number }): Promise<SmokeTestResult> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      const outputs = outputsOf(version.outputSchema);
      const baselineAccuracy = typeof version.baseline?.accuracy === 'number' ? version.baseline.accuracy : null;
      // No feature schema, no native rows to send: "couldn't measure" (assessSmokeTest's Error), not a crash.
      if (version.interface === 'oip') return { samples: 0, validOutputs: 0, labelled: 0, correct: 0, baselineAccuracy };
      const set = await findSampleSet(deps, model.name, version);
      const rows = set ? set.instances.slice(0, input.samples) : sampleRows(version.inputSchema, Math.min(input.samples, 100));
      const labels = set?.labels?.slice(0, rows.length) ?? null;
      const server = (await liveServers(deps)).find((s) => holdersOf([s], version.versionId).length > 0);
      if (!server) throw new Error(`${model.name} ${version.version} is not Ready on any live model server`);
      const signal = cancellation();
      let validOutputs = 0;
      let labelled = 0;
      let correct = 0;
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        let predictions: unknown[];
        try {
          predictions = (await deps.modelServers.predictBatch(server.url, model.name, version.version, chunk, signal)).predictions;
        } catch (e) {
          // A refused batch (bad rows, a model failure) counts as invalid answers; draining or an unreachable server is retried.
          if (e instanceof PredictionRefusedError && e.status !== 503) continue;
          throw e;
        }
        chunk.forEach((_, j) => {
          const p = predictions[j];
          if (!outputs || predictionProblem(p, outputs) !== null) return;
          validOutputs++;
          const label = labels?.[i + j];
          // Accuracy is a classification measure; regression answers are only checked for validity.
          if (label === null || label === undefined || outputs.task !== 'classification') return;
          labelled++;
          const predicted = (p as { label?: unknown }).label;
          if ((typeof predicted === 'string' || typeof predicted === 'number') && sameLabel(predicted, label)) correct++;
        });
        beat({ sent: i + chunk.length });
      }
      return { samples: rows.length, validOutputs, labelled, correct, baselineAccuracy };
    },
  };
}
