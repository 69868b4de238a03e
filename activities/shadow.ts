/**
 * Shadow comparison: agreement from the metric buckets (the gateways count every shadow
 * answer compared with its primary), score differences from the prediction log (pairs of a
 * shadow entry and the primary entry it mirrors), traffic and latency from the buckets.
 */
import type { Environment } from '../domain/deployments/enums';
import type { ShadowComparison } from '../domain/deployments/shadow-comparison';
import type { DeploymentActivityDeps } from './deployment-deps';
import { badInput, findModel } from './activity-support';
import { SERVING_ROLES, settle } from './analysis';

/** Most recent mirrored pairs read for the score difference (enough for a stable mean, bounded work). */
const MAX_PAIRS = 5000;
const ID_BATCH = 500;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The prediction inside a logged `outputs` (the prediction itself, or an answer holding it). */
function predictionIn(outputs: unknown): Record<string, unknown> | undefined {
  if (!isObject(outputs)) return undefined;
  if ('probabilities' in outputs || 'value' in outputs || 'label' in outputs) return outputs;
  return isObject(outputs.prediction) ? outputs.prediction : undefined;
}

function probabilities(p: Record<string, unknown>): Map<string, number> | undefined {
  const raw = p.probabilities;
  if (!isObject(raw)) return undefined;
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'number' && Number.isFinite(v)) out.set(k, v);
  return out.size > 0 ? out : undefined;
}

/**
 * How far apart two answers are: for classification the total variation distance of the
 * class probabilities (½ Σ|p − q|; for two classes, the difference in the positive class's
 * probability), for regression |value − value|. Undefined when they cannot be compared.
 * Example: {legit .8, fraud .2} vs {legit .7, fraud .3} → 0.1.
 */
export function scoreDifference(shadowOutputs: unknown, primaryOutputs: unknown): number | undefined {
  const a = predictionIn(shadowOutputs);
  const b = predictionIn(primaryOutputs);
  if (!a || !b) return undefined;
  if (typeof a.value === 'number' && typeof b.value === 'number') return Math.abs(a.value - b.value);
  const pa = probabilities(a);
  const pb = probabilities(b);
  if (!pa || !pb) return undefined;
  let sum = 0;
  for (const k of new Set([...pa.keys(), ...pb.keys()])) sum += Math.abs((pa.get(k) ?? 0) - (pb.get(k) ?? 0));
  return sum / 2;
}

export function createShadowActivities(deps: DeploymentActivityDeps) {
  async function meanScoreDifference(modelId: string, environment: string, shadowVersionId: string, from: Date, to: Date): Promise<number> {
    const shadows = await deps.predictions.findSeries({ modelId, environment, versionId: shadowVersionId, role: 'shadow', status: 'Completed', from, to }, MAX_PAIRS);
    const ids = [...new Set(shadows.flatMap((s) => (s.primaryRequestId ? [s.primaryRequestId] : [])))];
    const primaries = new Map<string, unknown>();
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      for (const p of await deps.predictions.findByRequestIds(ids.slice(i, i + ID_BATCH))) if (p.status === 'Completed') primaries.set(p._id, p.outputs);
    }
    let sum = 0;
    let n = 0;
    for (const s of shadows) {
      if (!s.primaryRequestId || !primaries.has(s.primaryRequestId)) continue;
      const d = scoreDifference(s.outputs, primaries.get(s.primaryRequestId));
      if (d === undefined) continue;
      sum += d;
      n++;
    }
    return n > 0 ? sum / n : 0;
  }

  return {
    async readShadowComparison(input: { modelId: string; environment: Environment; primaryVersionId: string; shadowVersionId: string; from: string; to: string }): Promise<ShadowComparison> {
      const model = await findModel(deps, input.modelId);
      const from = new Date(input.from);
      const to = new Date(input.to);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badInput('VALIDATION_ERROR', `window [${input.from}, ${input.to}) is not a pair of ISO times`);
      const [primary, shadow] = await Promise.all([deps.versions.find(model.modelId, input.primaryVersionId), deps.versions.find(model.modelId, input.shadowVersionId)]);
      if (!primary || !shadow) throw badInput('VERSION_NOT_FOUND', `Version ${primary ? input.shadowVersionId : input.primaryVersionId} of ${model.name} does not exist`);
      await settle(deps, to);
      const q = { modelId: model.modelId, environment: input.environment, from, to };
      const [pw, sw, scoreDiff] = await Promise.all([
        deps.readMetricWindow({ ...q, version: primary.version, role: SERVING_ROLES }),
        deps.readMetricWindow({ ...q, version: shadow.version, role: 'shadow' }),
        meanScoreDifference(model.modelId, input.environment, shadow.versionId, from, to),
      ]);
      const compared = sw.counters.shadowCompared;
      return {
        samples: compared,
        labelAgreement: compared > 0 ? sw.counters.shadowAgreed / compared : 0,
        meanAbsoluteScoreDifference: scoreDiff,
        shadowRequests: sw.counters.count,
        shadowErrors: sw.counters.serverErrors,
        primaryRequests: pw.counters.count,
        primaryErrors: pw.counters.serverErrors,
        shadowP99LatencyMs: sw.summary.p99LatencyMs ?? 0,
        primaryP99LatencyMs: pw.summary.p99LatencyMs ?? 0,
        shadowMeanLatencyMs: sw.summary.avgLatencyMs ?? 0,
        primaryMeanLatencyMs: pw.summary.avgLatencyMs ?? 0,
      };
    },
  };
}
