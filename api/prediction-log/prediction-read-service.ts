import { AppError, errors } from '../../domain/errors';
import type { PredictionRole } from '../../domain/metrics';
import { ENVIRONMENTS, normalizeEnvironment } from '../../domain/routing/environments';
import { shadowRequestId } from '../gateway/prediction-sink';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { PredictionDoc, PredictionLogRepository } from '../../infra/mongo/prediction-log-repository';
import type { VersionRepository } from '../../infra/mongo/version-repository';

const ROLES: readonly PredictionRole[] = ['primary', 'canary', 'challenger', 'shadow'];

/** A logged prediction as the API shows it. */
export interface LoggedPrediction {
  requestId: string;
  time: string;
  version: string;
  versionId: string;
  environment: string;
  role: PredictionRole;
  status: 'Completed' | 'Failed';
  errorCode?: string;
  features: unknown;
  outputs: unknown;
  latencyMs: number | null;
  cached: boolean;
  traceId?: string;
  serverId?: string;
  primaryRequestId?: string;
}

export interface PredictionListQuery {
  version: string;
  environment: string;
  role?: string;
  status?: 'Completed' | 'Failed';
  from: Date;
  to: Date;
  limit: number;
}

export interface PredictionReadDeps {
  models: Pick<ModelRepository, 'findByIdOrName'>;
  versions: Pick<VersionRepository, 'find'>;
  predictions: Pick<PredictionLogRepository, 'findByRequestIds' | 'findSeries'>;
  /** Entries this process has not written yet (its buffer). */
  findBuffered: (ids: ReadonlySet<string>) => PredictionDoc[];
  maxWindowDays: number;
}

function view(d: PredictionDoc): LoggedPrediction {
  return {
    requestId: d._id,
    time: d.time.toISOString(),
    version: d.version,
    versionId: d.versionId,
    environment: d.environment,
    role: d.role,
    status: d.status,
    ...(d.errorCode !== undefined && { errorCode: d.errorCode }),
    features: d.features,
    outputs: d.outputs,
    latencyMs: d.latencyMs,
    cached: d.cached,
    ...(d.traceId !== undefined && { traceId: d.traceId }),
    ...(d.serverId !== undefined && { serverId: d.serverId }),
    ...(d.primaryRequestId !== undefined && { primaryRequestId: d.primaryRequestId }),
  };
}

/**
 * Reads of the prediction log for people (the log is stored in compressed segments, so this is
 * the way in rather than MongoDB queries): one request by id with its shadow copy, and the
 * newest predictions of one version in a window. Entries still in this process's buffer are
 * included in the lookup by id.
 */
export class PredictionReadService {
  constructor(private readonly deps: PredictionReadDeps) {}

  async byRequestId(modelRef: string, requestId: string): Promise<{ modelId: string; modelName: string; prediction: LoggedPrediction; shadows: LoggedPrediction[] }> {
    const model = await this.deps.models.findByIdOrName(modelRef);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', modelRef);
    const ids = new Set([requestId, shadowRequestId(requestId)]);
    const found = new Map<string, PredictionDoc>();
    for (const d of [...this.deps.findBuffered(ids), ...(await this.deps.predictions.findByRequestIds([...ids]))]) {
      if (d.modelId === model.modelId && ids.has(d._id) && !found.has(d._id)) found.set(d._id, d);
    }
    const prediction = found.get(requestId);
    if (!prediction) throw new AppError('NOT_FOUND', `No prediction of ${model.name} is logged with request id ${requestId}`, [{ field: 'requestId', message: 'not in the prediction log (never served, or past its retention)' }]);
    const shadows = [...found.values()].filter((d) => d.role === 'shadow' && d.primaryRequestId === requestId).map(view);
    return { modelId: model.modelId, modelName: model.name, prediction: view(prediction), shadows };
  }

  async list(modelRef: string, q: PredictionListQuery): Promise<{ modelId: string; modelName: string; version: string; versionId: string; environment: string; from: string; to: string; predictions: LoggedPrediction[] }> {
    const environment = normalizeEnvironment(q.environment);
    if (!environment) throw AppError.validation('query.environment', `must be one of ${ENVIRONMENTS.join(', ')}`);
    const role = q.role === undefined ? undefined : ROLES.find((r) => r === q.role!.toLowerCase());
    if (q.role !== undefined && !role) throw AppError.validation('query.role', `must be one of ${ROLES.join(', ')}`);
    if (q.to.getTime() <= q.from.getTime()) throw AppError.validation('query.from', 'must be before to');
    if (q.to.getTime() - q.from.getTime() > this.deps.maxWindowDays * 86_400_000) throw AppError.validation('query.from', `the window must not exceed P${this.deps.maxWindowDays}D`);
    const model = await this.deps.models.findByIdOrName(modelRef);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', modelRef);
    const v = await this.deps.versions.find(model.modelId, model.aliases[q.version] ?? q.version);
    if (!v) throw errors.notFound('VERSION_NOT_FOUND', `${model.name} ${q.version}`);
    const series = { modelId: model.modelId, environment, versionId: v.versionId, from: q.from, to: q.to, ...(q.status && { status: q.status }) };
    const lists = await Promise.all((role ? [role] : ROLES).map((r) => this.deps.predictions.findSeries({ ...series, role: r }, q.limit)));
    const predictions = lists
      .flat()
      .sort((a, b) => b.time.getTime() - a.time.getTime())
      .slice(0, q.limit)
      .map(view);
    return { modelId: model.modelId, modelName: model.name, version: v.version, versionId: v.versionId, environment, from: q.from.toISOString(), to: q.to.toISOString(), predictions };
  }
}
