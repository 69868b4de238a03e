/**
 * Measures a candidate for the validation gates (latency, accuracy, memory, bias): loads it under
 * a scratch identity on one live server (preferably one of the deployment's pool that holds the
 * stable version Ready, so both are measured side by side), sends its labelled holdout sample to
 * the candidate and the stable version, times single-row requests to both interleaved, reads the
 * candidate's measured memory and the pool's budgets, and unloads it again. The judgement is
 * pure (domain/validation/gates.ts); this only measures. Repeating it repeats the same load.
 */
import { createHash } from 'node:crypto';
import type { Environment } from '../domain/deployments/enums';
import { sampleRows } from '../domain/feature-schema';
import type { ModelVersion } from '../domain/models/model';
import { positiveClassOf } from '../domain/validation/gates';
import type { CandidateMeasurement, DeclaredBaseline, HoldoutRow, Label, ServerMemory } from '../domain/validation/measurement';
import type { ServerRecord } from '../infra/mongo/server-registry';
import type { DeploymentActivityDeps } from './deployment-deps';
import { beat, cancellation, errorText, findModelVersion, holdersOf, liveServers, poolServers } from './activity-support';
import { PredictionRefusedError, ServerUnreachableError } from './model-server-client';
import { outputsOf, predictionProblem } from './schema-checks';
import { findSampleSet } from './smoke-test';
import { scratchIdentity } from './validation';

export interface MeasureCandidateInput {
  deploymentId: string;
  modelId: string;
  versionId: string;
  stableVersionId: string | null;
  environment: Environment;
  holdoutSamples: number;
  latencySamples: number;
}

const CHUNK = 500;
const SCRATCH_PREFIX = 'validate-';

const declaredOf = (v: ModelVersion | null): DeclaredBaseline => ({ accuracy: v?.baseline?.accuracy ?? null, inferenceLatencyMs: v?.baseline?.inferenceLatencyMs ?? null });

/** Memory of what a server holds, validation scratch loads left out. */
export function serverMemory(s: ServerRecord): ServerMemory {
  const inUse = s.loaded.filter((l) => !l.versionId.startsWith(SCRATCH_PREFIX) && l.state !== 'Failed').reduce((sum, l) => sum + (l.memoryBytes ?? 0), 0);
  return { server: s._id, budgetBytes: s.memoryBudgetBytes ?? null, inUseBytes: inUse };
}

function labelOf(prediction: unknown, outputs: ReturnType<typeof outputsOf>): Label | null {
  if (!outputs || predictionProblem(prediction, outputs) !== null) return null;
  const label = (prediction as { label?: unknown }).label;
  return typeof label === 'string' || typeof label === 'number' ? label : null;
}

export function createCandidateMeasurementActivities(deps: DeploymentActivityDeps) {
  async function answers(url: string, modelName: string, version: string, rows: Record<string, unknown>[], outputs: ReturnType<typeof outputsOf>, signal?: AbortSignal): Promise<(Label | null)[]> {
    const out: (Label | null)[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      const { predictions } = await deps.modelServers.predictBatch(url, modelName, version, chunk, signal);
      chunk.forEach((_, j) => out.push(labelOf(predictions[j], outputs)));
      beat({ sent: i + chunk.length });
    }
    return out;
  }

  return {
    async measureCandidate(input: MeasureCandidateInput): Promise<CandidateMeasurement> {
      const { model, version } = await findModelVersion(deps, input.modelId, input.versionId);
      const stable = input.stableVersionId ? await deps.versions.find(model.modelId, input.stableVersionId) : null;
      const servers = await liveServers(deps);
      const pool = poolServers(deps, input.environment, servers);
      const outputs = outputsOf(version.outputSchema);
      const classes = outputs?.task === 'classification' ? outputs.classes : null;
      const positiveClass = positiveClassOf(classes, version.fairness?.positiveClass);
      const result: CandidateMeasurement = {
        notMeasured: null,
        server: null,
        sampleSource: null,
        rows: [],
        stableMeasured: false,
        latencyMs: { candidate: [], stable: [] },
        candidateMemoryBytes: null,
        pool: pool.map(serverMemory),
        declared: { candidate: declaredOf(version), stable: stable ? declaredOf(stable) : null },
        fairness: version.fairness && positiveClass !== null ? { sensitiveAttributes: version.fairness.sensitiveAttributes, positiveClass } : null,
      };
      if (version.interface === 'oip') return { ...result, notMeasured: 'an OIP-only version has no feature schema to send rows with' };
      if (servers.length === 0) return { ...result, notMeasured: 'no live model server' };
      // Side by side with the stable version where it is Ready; the same server on every attempt.
      const withStable = stable ? pool.filter((s) => holdersOf([s], stable.versionId).length > 0) : [];
      const choices = withStable.length > 0 ? withStable : pool.length > 0 ? pool : servers;
      const server = choices[parseInt(createHash('sha256').update(input.deploymentId).digest('hex').slice(0, 8), 16) % choices.length];
      const stableHere = stable !== null && holdersOf([server], stable.versionId).length > 0;
      const scratch = scratchIdentity(`${input.deploymentId}/measure`, model.name, version.versionId, version.version);
      const signal = cancellation();
      const timer = setInterval(() => beat('measuring'), 5000);
      try {
        const loaded = await deps.modelServers.load(server.url, { ...scratch, artifactKey: version.artifactKey, checksum: version.checksum, inputSchema: version.inputSchema, outputSchema: version.outputSchema, options: { warmupRuns: 1 } }, signal);
        if (!loaded.ok) return { ...result, server: server._id, notMeasured: `the trial load on ${server._id} failed: ${loaded.code}: ${loaded.reason}` };
        const memory = loaded.summary.memoryBytes;
        const set = await findSampleSet(deps, model.name, version);
        const labelled = set?.labels && classes ? set.instances.map((row, i) => ({ row, label: set.labels![i] })).filter((r): r is { row: Record<string, unknown>; label: Label } => r.label !== null && r.label !== undefined).slice(0, input.holdoutSamples) : [];
        const features = labelled.map((r) => r.row);
        const candidateAnswers = await answers(server.url, scratch.modelName, scratch.version, features, outputs, signal);
        let stableAnswers: (Label | null)[] | null = null;
        if (stableHere && features.length > 0) {
          // The stable version may not accept the candidate's rows (a changed schema): then compare with declared baselines.
          stableAnswers = await answers(server.url, stable.modelName, stable.version, features, outputsOf(stable.outputSchema), signal).catch((e: unknown) => {
            if (e instanceof PredictionRefusedError && e.status !== 503) return null;
            throw e;
          });
        }
        const attributes = version.fairness?.sensitiveAttributes ?? [];
        const rows: HoldoutRow[] = labelled.map((r, i) => ({
          label: r.label,
          candidate: candidateAnswers[i],
          stable: stableAnswers?.[i] ?? null,
          groups: Object.fromEntries(attributes.map((a) => [a, r.row[a] === undefined || r.row[a] === null ? 'missing' : JSON.stringify(r.row[a]).replace(/^"|"$/g, '')])),
        }));
        const timedRows = features.length > 0 ? features : sampleRows(version.inputSchema, Math.min(input.latencySamples, 100));
        const latency = { candidate: [] as number[], stable: [] as number[] };
        let stableTimed = stableHere;
        for (let i = 0; i < input.latencySamples; i++) {
          const row = timedRows[i % timedRows.length];
          const c = await deps.modelServers.predictOne(server.url, scratch.modelName, scratch.version, row, signal);
          if (c.latencyMs !== null) latency.candidate.push(c.latencyMs);
          if (!stableTimed || !stable) continue;
          try {
            const s = await deps.modelServers.predictOne(server.url, stable.modelName, stable.version, row, signal);
            if (s.latencyMs !== null) latency.stable.push(s.latencyMs);
          } catch (e) {
            if (!(e instanceof PredictionRefusedError) || e.status === 503) throw e;
            stableTimed = false;
            latency.stable = [];
          }
        }
        return {
          ...result,
          server: server._id,
          sampleSource: set && labelled.length > 0 ? set.source : null,
          rows,
          stableMeasured: stableAnswers !== null,
          latencyMs: latency,
          candidateMemoryBytes: typeof memory === 'number' ? memory : null,
        };
      } catch (e) {
        if (signal?.aborted || e instanceof ServerUnreachableError) throw e;
        return { ...result, server: server._id, notMeasured: `measuring on ${server._id} failed: ${errorText(e)}` };
      } finally {
        clearInterval(timer);
        // Why no signal here: the unload must happen even when the activity was cancelled.
        await deps.modelServers.unload(server.url, scratch.versionId).catch(() => undefined);
      }
    },
  };
}
