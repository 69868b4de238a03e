import { AppError, errors } from '../../domain/errors';
import { assertOutputSchema } from '../../domain/feature-schema';
import { mergeGroupCounts, parseIsoDuration, summarize, summarizeFairness, sumCounters, type AttributeFairness, type GroupCounts, type MetricsSummary } from '../../domain/metrics';
import type { ModelVersion } from '../../domain/models/model';
import { ENVIRONMENTS, normalizeEnvironment } from '../../domain/routing/environments';
import type { MetricBucketRepository } from '../../infra/mongo/metric-bucket-repository';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { VersionRepository } from '../../infra/mongo/version-repository';

export interface MetricsQuery {
  window: string;
  version?: string;
  environment?: string;
}

/** The metrics the API returns: the spec's fields (rounded) and a few more. */
export type ApiMetrics = MetricsSummary & {
  /** Per-group metrics from feedback, for a version that declares sensitiveAttributes. */
  fairness?: AttributeFairness[];
};

export interface VersionMetrics {
  version: string;
  versionId: string;
  /** Roles this version served in the window (primary, canary, challenger, shadow). */
  roles: string[];
  metrics: ApiMetrics;
}

export interface ModelMetricsResponse {
  modelId: string;
  modelName: string;
  version: string | null;
  environment: string | null;
  window: string;
  from: string;
  to: string;
  metrics: ApiMetrics;
  /** Without `version`: one entry per version that served in the window. */
  versions?: VersionMetrics[];
  timestamp: string;
}

export interface MetricsServiceDeps {
  models: ModelRepository;
  versions: VersionRepository;
  buckets: Pick<MetricBucketRepository, 'readWindow'>;
  maxWindowDays: number;
  now?: () => Date;
}

const round = (v: number | null, digits = 3) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

function rounded(m: MetricsSummary): ApiMetrics {
  return {
    ...m,
    avgLatencyMs: round(m.avgLatencyMs),
    p50LatencyMs: round(m.p50LatencyMs),
    p95LatencyMs: round(m.p95LatencyMs),
    p99LatencyMs: round(m.p99LatencyMs),
    latencyStdDevMs: round(m.latencyStdDevMs),
    minLatencyMs: round(m.minLatencyMs),
    maxLatencyMs: round(m.maxLatencyMs),
    throughputRps: round(m.throughputRps) ?? 0,
    errorRate: round(m.errorRate, 6),
    accuracy: round(m.accuracy, 6),
    mae: round(m.mae, 6),
    rmse: round(m.rmse, 6),
    shadowAgreement: round(m.shadowAgreement, 6),
  };
}

/**
 * Adds `fairness` for a version that declares fairness.sensitiveAttributes (or whose buckets hold group
 * counts): per attribute, each group's feedback count, accuracy and positive rate (binary
 * classifiers: the declared positiveClass, else the last class) or MAE, and the gap between the best and worst group.
 */
function withFairness(metrics: ApiMetrics, v: ModelVersion | undefined, series: readonly { groups: GroupCounts }[]): ApiMetrics {
  const groups: GroupCounts = {};
  for (const s of series) mergeGroupCounts(groups, s.groups);
  for (const a of v?.fairness?.sensitiveAttributes ?? []) groups[a] ??= {};
  if (Object.keys(groups).length === 0) return metrics;
  let task: 'classification' | 'regression' = 'classification';
  let binary = false;
  try {
    const ext = assertOutputSchema(v?.outputSchema)['x-hotswap-outputs'];
    task = ext.task;
    binary = ext.task === 'classification' && (ext.classes.length === 2 || v?.fairness?.positiveClass !== undefined);
  } catch {
    /* no x-hotswap-outputs: accuracy only */
  }
  const r6 = (x: number | null) => round(x, 6);
  const fairness = summarizeFairness(groups, task, binary).map((a) => ({
    ...a,
    groups: a.groups.map((g) => ({ ...g, accuracy: r6(g.accuracy), positiveRate: r6(g.positiveRate), mae: r6(g.mae) })),
    accuracyGap: r6(a.accuracyGap),
    positiveRateGap: r6(a.positiveRateGap),
    maeGap: r6(a.maeGap),
  }));
  return { ...metrics, fairness };
}

/**
 * GET /api/v1/models/{id}/metrics: sums the metric buckets of the last `window` (ISO-8601
 * duration, ≤ maxWindowDays). With `version`, that version's metrics over every role it served
 * (a shadow version's are its shadow traffic); without, the model's metrics over what callers
 * were served (primary, canary and challenger — shadow copies would count requests twice) plus
 * one entry per version. `environment` narrows to one environment (default: all).
 */
export class MetricsService {
  constructor(private readonly deps: MetricsServiceDeps) {}

  /** Validates `window`; returns its length in seconds. */
  windowSeconds(window: string): number {
    const parsed = parseIsoDuration(window);
    if (!parsed.ok) throw AppError.validation('query.window', parsed.reason);
    if (parsed.seconds < 1) throw AppError.validation('query.window', 'must be at least one second');
    const max = this.deps.maxWindowDays * 86400;
    if (parsed.seconds > max) throw AppError.validation('query.window', `must not exceed P${this.deps.maxWindowDays}D`);
    return parsed.seconds;
  }

  async modelMetrics(modelRef: string, q: MetricsQuery): Promise<ModelMetricsResponse> {
    const seconds = this.windowSeconds(q.window);
    const environment = q.environment === undefined ? undefined : normalizeEnvironment(q.environment);
    if (q.environment !== undefined && !environment) throw AppError.validation('query.environment', `must be one of ${ENVIRONMENTS.join(', ')}`);
    const model = await this.deps.models.findByIdOrName(modelRef);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', modelRef);
    let version: string | undefined;
    let versionDoc: ModelVersion | undefined;
    if (q.version !== undefined) {
      const ref = model.aliases[q.version] ?? q.version;
      const v = await this.deps.versions.find(model.modelId, ref);
      if (!v) throw errors.notFound('VERSION_NOT_FOUND', `${model.name} ${q.version}`);
      version = v.version;
      versionDoc = v;
    }
    const to = this.deps.now?.() ?? new Date();
    const from = new Date(to.getTime() - seconds * 1000);
    const w = await this.deps.buckets.readWindow({
      modelId: model.modelId,
      from,
      to,
      ...(version !== undefined && { version }),
      ...(environment !== undefined && { environment }),
    });
    const base = { modelId: model.modelId, modelName: model.name, environment: environment ?? null, window: q.window, from: from.toISOString(), to: to.toISOString() };
    if (version !== undefined) return { ...base, version, metrics: withFairness(rounded(w.summary), versionDoc, w.series), timestamp: to.toISOString() };

    const served = w.series.filter((s) => s.role !== 'shadow');
    const overall = summarize(sumCounters(served.map((s) => s.counters)), seconds);
    const byVersion = new Map<string, { versionId: string; roles: Set<string>; series: typeof w.series }>();
    for (const s of w.series) {
      const e = byVersion.get(s.version) ?? { versionId: s.versionId, roles: new Set<string>(), series: [] };
      e.roles.add(s.role);
      e.series.push(s);
      byVersion.set(s.version, e);
    }
    const versions = await Promise.all(
      [...byVersion.entries()].map(async ([v, e]) => {
        const metrics = rounded(summarize(sumCounters(e.series.map((s) => s.counters)), seconds));
        const counted = e.series.some((s) => Object.keys(s.groups).length > 0);
        const doc = counted ? ((await this.deps.versions.find(model.modelId, e.versionId)) ?? undefined) : undefined;
        return { version: v, versionId: e.versionId, roles: [...e.roles].sort(), metrics: withFairness(metrics, doc, e.series) };
      }),
    );
    return { ...base, version: null, metrics: rounded(overall), versions, timestamp: to.toISOString() };
  }
}
