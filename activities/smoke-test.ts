/**
 * Blue-green smoke test: labelled rows straight to the candidate on one server (not through
 * the routing table, which still sends users to blue).
 *
 * Where a version's labelled sample set lives (first found wins):
 * 1. the artifact store, next to the model: `<folder of artifactKey>/samples.json`
 *    (e.g. `models/fraud-detection/2.0.0/samples.json`), then `models/<name>/<version>/samples.json`;
 * 2. SAMPLE_SETS_DIR (default ./examples/models): `<dir>/<modelName>/<version>/samples.json`,
 *    so the example models registered from examples/ have theirs without an upload.
 * Format (examples/README.md): `{"instances": [{...features}], "labels": ["<class>", ...]}`.
 * Without a sample set, rows generated from the inputSchema check that answers are valid; a
 * version with a baseline accuracy then gets an Error verdict (no labelled samples).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SmokeTestResult } from '../domain/deployments/smoke-test';
import { sampleRows } from '../domain/feature-schema';
import { sameLabel } from '../domain/metrics/quality';
import { sampleSetKeys, type ModelVersion } from '../domain/models/model';
import type { DeploymentActivityDeps } from './deployment-deps';
import { beat, cancellation, findModelVersion, holdersOf, liveServers } from './activity-support';
import { PredictionRefusedError } from './model-server-client';
import { outputsOf, predictionProblem } from './schema-checks';

export interface SampleSet {
  instances: Record<string, unknown>[];
  labels: (string | number | null)[] | null;
  source: string;
}

const CHUNK = 500;
const MAX_SAMPLE_FILE_BYTES = 64 * 1024 * 1024;

function parseSampleSet(text: string, source: string): SampleSet {
  const raw = JSON.parse(text) as { instances?: unknown; labels?: unknown };
  if (!Array.isArray(raw.instances) || !raw.instances.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r)))
    throw new Error(`${source}: "instances" must be an array of feature objects`);
  const labels = Array.isArray(raw.labels) ? (raw.labels as (string | number | null)[]) : null;
  if (labels && labels.length !== raw.instances.length) throw new Error(`${source}: ${labels.length} labels for ${raw.instances.length} instances`);
  return { instances: raw.instances as Record<string, unknown>[], labels, source };
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
    size += b.length;
    if (size > MAX_SAMPLE_FILE_BYTES) throw new Error(`sample set larger than ${MAX_SAMPLE_FILE_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The version's labelled sample set, or null when it has none (see the file comment for where it is looked up). */
export async function findSampleSet(deps: Pick<DeploymentActivityDeps, 'artifacts' | 'settings'>, modelName: string, version: ModelVersion): Promise<SampleSet | null> {
  for (const key of sampleSetKeys(modelName, version)) {
    let stat;
    try {
      stat = await deps.artifacts.stat(key);
    } catch {
      continue; // not a key this store accepts
    }
    if (stat) return parseSampleSet(await readStream(await deps.artifacts.get(key)), `${deps.artifacts.toReference(key)}`);
  }
  if (deps.settings.sampleSetsDir) {
    const file = join(deps.settings.sampleSetsDir, modelName, version.version, 'samples.json');
    try {
      return parseSampleSet(await readFile(file, 'utf8'), file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return null;
}

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
