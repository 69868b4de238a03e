/** Metric windows for the analysis steps, summed from the gateways' metric buckets. */
import type { MetricWindow } from '../domain/deployments/analysis';
import type { Environment } from '../domain/deployments/enums';
import type { PredictionRole } from '../domain/metrics';
import type { MetricWindow as BucketWindow } from '../infra/mongo/metric-bucket-repository';
import type { WindowSpec } from './deployment-activity-types';
import type { DeploymentActivityDeps } from './deployment-deps';
import { badInput, findModel, pause } from './activity-support';

/** The roles that carry user traffic: shadow copies are compared separately, never analysed as traffic. */
export const SERVING_ROLES: readonly PredictionRole[] = ['primary', 'canary', 'challenger'];
/** Longest wait for buckets to settle: a window that ends in the future is read when it ends, up to this. */
const MAX_SETTLE_WAIT_MS = 60_000;

/**
 * A bucket window as the analysis reads it. Errors are server errors only (5xx: the model or
 * the platform failed); a caller's bad request is not the candidate's fault. Accuracy counts
 * classification feedback; latency (summary and histogram) covers successful predictions.
 */
export function toAnalysisWindow(w: BucketWindow): MetricWindow {
  const s = w.summary;
  return {
    requests: w.counters.count,
    errors: w.counters.serverErrors,
    p99LatencyMs: s.p99LatencyMs ?? 0,
    meanLatencyMs: s.avgLatencyMs ?? 0,
    labelled: w.counters.clsLabelled,
    correct: w.counters.correct,
    ...(s.latencyStdDevMs !== null && { latencyStdDevMs: s.latencyStdDevMs }),
    // The whole latency distribution: the anytime-valid latency test compares bucket counts.
    latencyHistogram: [...w.counters.hist],
  };
}

function parseTime(iso: string, field: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw badInput('VALIDATION_ERROR', `${field} is not an ISO time: ${iso}`);
  return d;
}

/** Waits until every gateway has flushed the buckets of [.., `to`): METRICS_SETTLE_MS after it. */
export async function settle(deps: Pick<DeploymentActivityDeps, 'settings'>, ...ends: Date[]): Promise<void> {
  const until = Math.max(...ends.map((d) => d.getTime())) + deps.settings.metricsSettleMs;
  const wait = Math.min(MAX_SETTLE_WAIT_MS, until - Date.now());
  if (wait > 0) await pause(wait);
}

export function createAnalysisActivities(deps: DeploymentActivityDeps) {
  return {
    async readMetricWindows(input: { modelId: string; environment: Environment; stable: WindowSpec; candidate: WindowSpec }): Promise<{ stable: MetricWindow; candidate: MetricWindow }> {
      const model = await findModel(deps, input.modelId);
      const specs = [input.stable, input.candidate].map((w, i) => ({ w, from: parseTime(w.from, i ? 'candidate.from' : 'stable.from'), to: parseTime(w.to, i ? 'candidate.to' : 'stable.to') }));
      await settle(deps, ...specs.map((s) => s.to));
      const [stable, candidate] = await Promise.all(
        specs.map(async ({ w, from, to }) => {
          const v = await deps.versions.find(model.modelId, w.versionId);
          if (!v) throw badInput('VERSION_NOT_FOUND', `Version ${w.versionId} of ${model.name} does not exist`);
          return toAnalysisWindow(await deps.readMetricWindow({ modelId: model.modelId, environment: input.environment, version: v.version, role: SERVING_ROLES, from, to }));
        }),
      );
      return { stable, candidate };
    },
  };
}
