import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, isGrpcServiceError, ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Actor, CommandProblem, ControlCommandKind } from '../../domain/deployments/commands';
import { completedRollbackProblem } from '../../domain/deployments/completed-rollback';
import { hasEnded, initialDeploymentView, type ApprovalState, type DeploymentStatusView, type ValidationReport } from '../../domain/deployments/deployment-status';
import { isTerminalStatus, type DeploymentStatus, type DeploymentStrategy, type Environment } from '../../domain/deployments/enums';
import { durationMs } from '../../domain/deployments/iso-duration';
import { planAbTest, planBlueGreen, planCanary, planRolling, planShadow, type DeploymentStep, type PlanContext } from '../../domain/deployments/steps';
import type { DeploymentRequest } from '../../domain/deployments/strategy-config-schemas';
import { ratioSplit } from '../../domain/deployments/traffic-split';
import { AppError, ERROR_CATALOGUE, errors, type ErrorCode } from '../../domain/errors';
import type { PredictionRole } from '../../domain/metrics';
import type { Model, ModelVersion } from '../../domain/models/model';
import { can, type Principal } from '../../domain/permissions';
import type { DeploymentRepository, StoredDeployment } from '../../infra/mongo/deployment-repository';
import type { MetricWindow, MetricWindowQuery } from '../../infra/mongo/metric-bucket-repository';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import type { RoutingRepository } from '../../infra/mongo/routing-repository';
import type { ServerRegistry } from '../../infra/mongo/server-registry';
import type { VersionRepository } from '../../infra/mongo/version-repository';
import { RecentReads } from '../../infra/async/recent-reads';
import type { TemporalGateway } from '../../infra/temporal/connection';
import type { DeploymentInput } from '../../workflows/deployment-input';
import { rollbackWorkflowId, type RollbackDeploymentInput } from '../../workflows/rollback-deployment';
import { abortUpdate, approveUpdate, overrideGateUpdate, pauseUpdate, promoteUpdate, rejectUpdate, resumeUpdate, rollbackUpdate, statusQuery, supersedeUpdate } from '../../workflows/messages';
import { DeploymentPhaseKey, DeploymentStrategyKey, EnvironmentKey, ModelNameKey, ModelVersionKey } from '../../workflows/search-attributes';

/** The workflow type of each strategy (the exports of workflows/index.ts). */
export const WORKFLOW_TYPES: Record<DeploymentStrategy, string> = {
  Canary: 'canaryDeployment',
  BlueGreen: 'blueGreenDeployment',
  ABTesting: 'abTestDeployment',
  Shadow: 'shadowDeployment',
  Rolling: 'rollingDeployment',
};

/** The search attributes a deployment's workflows start with (the Web UI filters on them). */
function searchAttributes(d: Pick<DeploymentStatusView, 'modelName' | 'version' | 'strategy' | 'environment' | 'phase'>) {
  return [
    { key: ModelNameKey, value: d.modelName },
    { key: ModelVersionKey, value: d.version },
    { key: DeploymentStrategyKey, value: d.strategy },
    { key: EnvironmentKey, value: d.environment },
    { key: DeploymentPhaseKey, value: d.phase },
  ];
}

/** One deployment per (model, environment) at a time: Temporal refuses a second run of the same id while one runs. */
export const deploymentWorkflowId = (modelId: string, environment: Environment) => `deploy-${modelId}-${environment}`;

export interface DeploymentServiceSettings {
  namespace: string;
  taskQueue: string;
  temporalUiUrl: string;
  /** ISO-8601 approval deadline of Production deployments. */
  approvalTimeout: string;
  queryTimeoutMs: number;
  commandTimeoutMs: number;
  serverHeartbeatTimeoutMs: number;
}

export interface DeploymentServiceDeps {
  temporal: Pick<TemporalGateway, 'getClient'>;
  deployments: DeploymentRepository;
  models: ModelRepository;
  versions: VersionRepository;
  routing: RoutingRepository;
  servers: Pick<ServerRegistry, 'live'>;
  readMetricWindow(q: MetricWindowQuery): Promise<MetricWindow>;
  settings: DeploymentServiceSettings;
  now?: () => Date;
}

export interface CreatedDeployment {
  deploymentId: string;
  status: 'Pending';
  strategy: DeploymentStrategy;
  environment: Environment;
  modelId: string;
  modelName: string;
  versionId: string;
  version: string;
  startedAt: string;
  estimatedCompletionTime: string;
  workflowId: string;
  temporalUiUrl: string;
}

/** Live traffic of one version over the last few minutes (from the metric buckets). */
export interface LiveVersionMetrics {
  versionId: string;
  version: string;
  requests: number;
  errorRate: number | null;
  avgLatencyMs: number | null;
  p99LatencyMs: number | null;
  accuracy: number | null;
  labelled: number;
}

export type DeploymentDetail = Omit<DeploymentStatusView, 'sequence'> & {
  workflowId: string | null;
  temporalUiUrl: string | null;
  /** Where the status came from: the running workflow's query, or the MongoDB projection. */
  source: 'workflow' | 'projection';
  liveMetrics: { from: string; to: string; stable: LiveVersionMetrics | null; candidate: LiveVersionMetrics | null } | null;
};

export type DeploymentSummary = Pick<
  DeploymentStatusView,
  | 'deploymentId'
  | 'modelId'
  | 'modelName'
  | 'versionId'
  | 'version'
  | 'strategy'
  | 'environment'
  | 'status'
  | 'phase'
  | 'progressPercentage'
  | 'trafficPercentage'
  | 'initiatedBy'
  | 'startedAt'
  | 'updatedAt'
  | 'completedAt'
  | 'errorMessage'
> & { approval: ApprovalState['state']; workflowId: string | null };

export interface ListDeploymentsQuery {
  /** `current`: one deployment per model and environment (the one in force there); `all`: every deployment. */
  scope: 'current' | 'all';
  model?: string;
  status?: DeploymentStatus;
  strategy?: DeploymentStrategy;
  environment?: Environment;
  limit: number;
  offset: number;
}

const CONTROL_UPDATES = { pause: pauseUpdate, resume: resumeUpdate, promote: promoteUpdate, abort: abortUpdate, rollback: rollbackUpdate, supersede: supersedeUpdate } as const;
const LIVE_METRICS_WINDOW_MS = 5 * 60_000;
/**
 * How old a deployment's live metrics may be. Why: every GET of a running deployment sums its
 * metric window, and on FerretDB that scans the buckets collection; consoles, CLIs and scripts
 * polling one deployment every 250 ms–1 s would each add scans that slow the rollouts they watch.
 */
const LIVE_METRICS_MAX_AGE_MS = 1_000;
const SERVING_ROLES: PredictionRole[] = ['primary', 'canary', 'challenger'];
/** Rough allowance per plan step without a timer of its own (routing change, gate, promotion). */
const STEP_OVERHEAD_MS = 5_000;
const WARM_UP_ALLOWANCE_MS = 30_000;

/**
 * Upper estimate of how long a plan runs: the timers of its steps (analysis windows, waits,
 * experiment and comparison limits, rolling waits) plus an allowance for loading and for each
 * step. Approval time is not included. Example: canary 10 % + 40 % steps of PT5M with a stable
 * version → 3 analysis windows = 15 min, plus 30 s warm-up and 10 × 5 s ≈ 16 min.
 */
export function estimatePlanMs(plan: DeploymentStep[], rollingWaitMs = 0): number {
  let ms = 0;
  for (const step of plan) {
    ms += STEP_OVERHEAD_MS;
    if (step.kind === 'analysis' || step.kind === 'pause' || step.kind === 'experiment' || step.kind === 'compare') ms += step.durationMs;
    if (step.kind === 'warmUp') ms += WARM_UP_ALLOWANCE_MS;
    if (step.kind === 'updateBatch') ms += WARM_UP_ALLOWANCE_MS + rollingWaitMs;
  }
  return ms;
}

function planFor(request: DeploymentRequest, ctx: PlanContext, servers: string[]): DeploymentStep[] {
  switch (request.strategy) {
    case 'Canary':
      return planCanary(request.strategyConfig, ctx);
    case 'BlueGreen':
      return planBlueGreen(request.strategyConfig, ctx);
    case 'ABTesting':
      return planAbTest(request.strategyConfig, ctx, ratioSplit(request.strategyConfig.splitRatio).candidate);
    case 'Shadow':
      return planShadow(request.strategyConfig, ctx);
    case 'Rolling':
      return planRolling(request.strategyConfig, ctx, servers);
  }
}

/**
 * Why an update was refused → the catalogue error a caller gets. The workflow's validators type
 * their refusals with a catalogue code (FORBIDDEN, VALIDATION_ERROR, CONFLICT) and carry the
 * problems as details (workflows/deployment-run.ts `refusal`); a failure of any other type does
 * not fit the deployment's state (409).
 */
export function refusalError(message: string, type?: string, details: readonly unknown[] = []): AppError {
  if (!type || !(type in ERROR_CATALOGUE)) return new AppError('CONFLICT', message);
  const problems = Array.isArray(details[0]) ? (details[0] as Partial<CommandProblem>[]) : [];
  const fields = problems.filter((p) => typeof p.field === 'string' && typeof p.message === 'string').map((p) => ({ field: p.field!, message: p.message! }));
  return new AppError(type as ErrorCode, message, type === 'VALIDATION_ERROR' ? fields : []);
}

/** gRPC status codes a deadline shows up as (the SDK wraps them; @grpc/grpc-js is not ours to import). */
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;

/** Whether a Temporal call ran out of its deadline (ours, or the connection's) rather than failed. */
function isDeadline(e: unknown): boolean {
  if (e instanceof CommandTimeout || e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const cause = e instanceof ServiceError ? e.cause : e;
  if (!isGrpcServiceError(cause)) return false;
  const code: number = cause.code;
  return code === GRPC_DEADLINE_EXCEEDED || code === GRPC_CANCELLED;
}

class CommandTimeout extends Error {}

const PROJECTION_CREATE_ATTEMPTS = 5;

/**
 * The workflow has started by the time its projection is created: a transient write error
 * (FerretDB answers SQLITE_BUSY under write contention) must not turn an accepted deployment
 * into a 500 whose retry is a 409. create() is an idempotent upsert, so it is retried.
 */
async function writeWithRetries(write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (attempt >= PROJECTION_CREATE_ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** How long a new deployment waits for the previous, already ended, run of its workflow id to close. */
const RUN_CLOSE_WAIT_MS = 10_000;

const unavailable = (e: unknown) => new AppError('SERVICE_UNAVAILABLE', `The deployment could not be started: ${e instanceof Error ? e.message : String(e)}`, [], { 'Retry-After': '5' });

/** Resolves `fn` or rejects with CommandTimeout after `ms` (the RPCs below also get a gRPC deadline). */
async function within<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandTimeout(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([client.connection.withDeadline(Date.now() + ms, fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Deployments (issue 4 "API"): starts the strategy's workflow, reads status from the MongoDB
 * projection (enriched by the workflow's live query when it answers), and sends commands as
 * Temporal updates whose validators accept or refuse them.
 */
/** A deployment's state as its audit records show it before and after a command. */
export interface CommandState {
  status: string;
  phase: string;
  trafficPercentage: number;
  approval: string;
}

export const commandState = (d: Pick<DeploymentStatusView, 'status' | 'phase' | 'trafficPercentage' | 'approval'>): CommandState => ({
  status: d.status,
  phase: d.phase,
  trafficPercentage: d.trafficPercentage,
  approval: d.approval.state,
});

export class DeploymentService {
  private readonly now: () => Date;
  private readonly liveMetricReads: RecentReads<MetricWindow>;
  constructor(private readonly deps: DeploymentServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.liveMetricReads = new RecentReads(LIVE_METRICS_MAX_AGE_MS, () => this.now().getTime());
  }

  private async client(): Promise<Client> {
    try {
      return await this.deps.temporal.getClient();
    } catch (e) {
      throw new AppError('SERVICE_UNAVAILABLE', `Temporal is unreachable: ${e instanceof Error ? e.message : String(e)}`, [], { 'Retry-After': '5' });
    }
  }

  temporalUiUrl(workflowId: string, runId: string): string {
    const { temporalUiUrl, namespace } = this.deps.settings;
    return `${temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
  }

  private async resolve(modelRef: string, versionRef: string): Promise<{ model: Model; version: ModelVersion }> {
    const model = await this.deps.models.findByIdOrName(modelRef);
    if (!model) throw new AppError('MODEL_NOT_FOUND', `Model does not exist: ${modelRef}`, [{ field: 'modelId', message: `no model with id or name ${modelRef}` }]);
    if (model.isArchived) throw errors.conflict(`Model ${model.name} is archived`, [{ field: 'modelId', message: 'is archived' }]);
    const version = (await this.deps.versions.find(model.modelId, versionRef)) ?? (model.aliases[versionRef] ? await this.deps.versions.find(model.modelId, model.aliases[versionRef]) : null);
    if (!version) throw new AppError('VERSION_NOT_FOUND', `Model version does not exist: ${model.name} ${versionRef}`, [{ field: 'versionId', message: `${model.name} has no version ${versionRef}` }]);
    if (version.status === 'Archived') throw errors.conflict(`Version ${version.version} of ${model.name} is archived`, [{ field: 'versionId', message: 'is archived' }]);
    return { model, version };
  }

  async create(request: DeploymentRequest, principal: Principal): Promise<CreatedDeployment> {
    if (request.environment === 'Production' && !can(principal.role, 'deployments:create:prod'))
      throw new AppError('FORBIDDEN', `Role ${principal.role} lacks permission deployments:create:prod (deploying to Production)`);
    const { model, version } = await this.resolve(request.modelId, request.versionId);
    const { settings } = this.deps;
    const deploymentId = `dep-${randomUUID()}`;
    const workflowId = deploymentWorkflowId(model.modelId, request.environment);
    const approvalRequired = request.environment === 'Production';
    const input = {
      deploymentId,
      modelId: model.modelId,
      versionId: version.versionId,
      modelName: model.name,
      version: version.version,
      environment: request.environment,
      initiatedBy: principal.id,
      approval: { required: approvalRequired, timeout: settings.approvalTimeout },
      strategy: request.strategy,
      config: request.strategyConfig,
    } as DeploymentInput;

    const [table, servers, current] = await Promise.all([
      this.deps.routing.get(model.modelId, request.environment),
      this.deps.servers.live(settings.serverHeartbeatTimeoutMs),
      this.deps.deployments.list({ scope: 'current', modelId: model.modelId, environment: request.environment, limit: 1, offset: 0 }),
    ]);
    // A completed deployment being rolled back (its own workflow, not the deployment's id) is changing the routing now.
    const rollingBack = current.deployments.find((d) => hasEnded(d) && d.phase === 'RollingBack');
    if (rollingBack) throw errors.conflict(`Deployment ${rollingBack.deploymentId} of ${model.name} in ${request.environment} is being rolled back; start the new deployment once it has finished`);
    const hasStable = (table?.pools ?? []).some((p) => p.weight > 0 && p.versionId !== version.versionId);
    const plan = planFor(request, { hasStable, approvalRequired: false }, servers.filter((s) => s.health !== 'draining').map((s) => s._id));
    const rollingWaitMs = request.strategy === 'Rolling' ? durationMs(request.strategyConfig.waitDuration) : 0;
    const started = this.now();

    const client = await this.client();
    const start = () => client.workflow.start(WORKFLOW_TYPES[request.strategy], {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [input],
      // A finished deployment frees the id for the next one; a running one makes the start fail (→ 409).
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { deploymentId, initiatedBy: principal.id },
      typedSearchAttributes: searchAttributes({ modelName: model.name, version: version.version, strategy: request.strategy, environment: request.environment, phase: 'Pending' }),
    });
    let firstExecutionRunId: string;
    try {
      firstExecutionRunId = (await start()).firstExecutionRunId;
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw unavailable(e);
      // A deployment in its bake window gives way (it retires its previous version and ends Superseded).
      const superseded = await this.supersedeBaking(client, workflowId, deploymentId, principal);
      if (superseded) input.supersedes = superseded;
      // The previous deployment may have ended (its projection says so) while its run is still closing: wait for it once.
      if (!(await this.previousRunClosed(client, workflowId))) throw await this.alreadyRunning(client, workflowId, model, request.environment);
      try {
        firstExecutionRunId = (await start()).firstExecutionRunId;
      } catch (again) {
        if (again instanceof WorkflowExecutionAlreadyStartedError) throw await this.alreadyRunning(client, workflowId, model, request.environment);
        throw unavailable(again);
      }
    }

    const at = started.toISOString();
    const view = initialDeploymentView(
      {
        deploymentId,
        modelId: model.modelId,
        modelName: model.name,
        versionId: version.versionId,
        version: version.version,
        strategy: request.strategy,
        environment: request.environment,
        initiatedBy: principal.id,
      },
      approvalRequired,
      at,
      [{ at, step: 'request', decision: 'Accepted', reason: `requested by ${principal.username} (${principal.role})` }],
    );
    await writeWithRetries(() => this.deps.deployments.create(view, { workflowId, firstExecutionRunId }));
    return {
      deploymentId,
      status: 'Pending',
      strategy: request.strategy,
      environment: request.environment,
      modelId: model.modelId,
      modelName: model.name,
      versionId: version.versionId,
      version: version.version,
      startedAt: at,
      estimatedCompletionTime: new Date(started.getTime() + estimatePlanMs(plan, rollingWaitMs)).toISOString(),
      workflowId,
      temporalUiUrl: this.temporalUiUrl(workflowId, firstExecutionRunId),
    };
  }

  /**
   * When the run holding the workflow id is a deployment in its bake window (Active, still
   * running), tells it to end (supersede update: it retires its previous version and ends
   * Superseded) and returns its id once it did. Null when there was nothing to supersede or it
   * refused (it is not in its bake window after all: the caller then answers 409).
   */
  private async supersedeBaking(client: Client, workflowId: string, newDeploymentId: string, principal: Principal): Promise<string | null> {
    try {
      const memo = (await within(client, 5000, () => client.workflow.getHandle(workflowId).describe())).memo as { deploymentId?: unknown } | undefined;
      const holder = typeof memo?.deploymentId === 'string' ? await this.deps.deployments.get(memo.deploymentId) : null;
      if (!holder || holder.status !== 'Active' || hasEnded(holder)) return null;
      const cmd = { by: this.actor(principal), reason: `deployment ${newDeploymentId} of the same model and environment takes over`, supersededBy: newDeploymentId };
      await within(client, this.deps.settings.commandTimeoutMs, () => this.handle(client, holder).executeUpdate(supersedeUpdate, { args: [cmd] }));
      return holder.deploymentId;
    } catch {
      // Refused or unreachable: whether the id is free is decided next (previousRunClosed).
      return null;
    }
  }

  /**
   * True when the run holding the workflow id belongs to a deployment whose projection says it
   * has ended and the run closes within a few seconds (it is finishing its last steps).
   */
  private async previousRunClosed(client: Client, workflowId: string): Promise<boolean> {
    try {
      const handle = client.workflow.getHandle(workflowId);
      const memo = (await within(client, 5000, () => handle.describe())).memo as { deploymentId?: unknown } | undefined;
      const previous = typeof memo?.deploymentId === 'string' ? await this.deps.deployments.get(memo.deploymentId) : null;
      if (!previous || !hasEnded(previous)) return false;
      await within(client, RUN_CLOSE_WAIT_MS, () => handle.result()).catch(() => undefined);
      return (await within(client, 5000, () => handle.describe())).status.name !== 'RUNNING';
    } catch {
      return false;
    }
  }

  /** 409 naming the deployment that holds the (model, environment): from the running workflow's memo, else the projection. */
  private async alreadyRunning(client: Client, workflowId: string, model: Model, environment: Environment): Promise<AppError> {
    let running: string | undefined;
    try {
      const d = await within(client, 5000, () => client.workflow.getHandle(workflowId).describe());
      const memo = d.memo as { deploymentId?: unknown } | undefined;
      if (typeof memo?.deploymentId === 'string') running = memo.deploymentId;
    } catch {
      // fall back to the projection
    }
    if (!running) {
      const { deployments } = await this.deps.deployments.list({ scope: 'all', modelId: model.modelId, environment, limit: 20, offset: 0 });
      running = deployments.find((d) => !hasEnded(d))?.deploymentId;
    }
    const who = running ?? 'another deployment';
    return errors.conflict(`Deployment ${who} of ${model.name} to ${environment} is still running: one deployment per model and environment at a time`, [
      { field: 'modelId', message: `${model.name} has a running deployment in ${environment}: ${who}` },
    ]);
  }

  async list(q: ListDeploymentsQuery): Promise<{ deployments: DeploymentSummary[]; total: number }> {
    let modelId: string | undefined;
    if (q.model) modelId = (await this.deps.models.findByIdOrName(q.model))?.modelId ?? q.model;
    const { deployments, total } = await this.deps.deployments.list({ scope: q.scope, modelId, status: q.status, strategy: q.strategy, environment: q.environment, limit: q.limit, offset: q.offset });
    return { deployments: deployments.map((d) => this.summary(d)), total };
  }

  private summary(d: StoredDeployment): DeploymentSummary {
    return {
      deploymentId: d.deploymentId,
      modelId: d.modelId,
      modelName: d.modelName,
      versionId: d.versionId,
      version: d.version,
      strategy: d.strategy,
      environment: d.environment,
      status: d.status,
      phase: d.phase,
      progressPercentage: d.progressPercentage,
      trafficPercentage: d.trafficPercentage,
      initiatedBy: d.initiatedBy,
      startedAt: d.startedAt,
      updatedAt: d.updatedAt,
      completedAt: d.completedAt,
      errorMessage: d.errorMessage,
      approval: d.approval?.state ?? 'NotRequired',
      workflowId: d.workflowId ?? null,
    };
  }

  private async stored(deploymentId: string): Promise<StoredDeployment> {
    const d = await this.deps.deployments.get(deploymentId);
    if (!d) throw errors.notFound('DEPLOYMENT_NOT_FOUND', deploymentId);
    return d;
  }

  private handle(client: Client, d: StoredDeployment): WorkflowHandle {
    if (!d.workflowId || !d.firstExecutionRunId) throw errors.conflict(`Deployment ${d.deploymentId} has no workflow yet`);
    // firstExecutionRunId: follows continue-as-new, and never reaches a later deployment of the same id.
    return client.workflow.getHandle(d.workflowId, undefined, { firstExecutionRunId: d.firstExecutionRunId });
  }

  /**
   * The projection, overlaid with the workflow's live status when it answers within
   * DEPLOYMENT_QUERY_TIMEOUT_MS (no worker, or Temporal down: the projection alone).
   */
  async get(deploymentId: string): Promise<DeploymentDetail> {
    const d = await this.stored(deploymentId);
    let view: StoredDeployment = d;
    let source: DeploymentDetail['source'] = 'projection';
    if (!hasEnded(d) && d.workflowId && d.firstExecutionRunId) {
      try {
        const client = await this.deps.temporal.getClient();
        const live = await within(client, this.deps.settings.queryTimeoutMs, () => this.handle(client, d).query(statusQuery));
        if (live && live.sequence >= d.sequence) {
          view = { ...d, ...live };
          source = 'workflow';
        }
      } catch {
        // Why silent: the projection is the durable answer; the live query is a bonus.
      }
    }
    return this.detail(view, source, hasEnded(view) ? null : await this.liveMetrics(view).catch(() => null));
  }

  /** The last LIVE_METRICS_WINDOW_MS of the stable and candidate versions, read at most once per LIVE_METRICS_MAX_AGE_MS. */
  private async liveMetrics(d: StoredDeployment): Promise<DeploymentDetail['liveMetrics']> {
    const read = (version: string, roles: PredictionRole[]): Promise<MetricWindow> =>
      this.liveMetricReads.get(`${d.modelId}|${d.environment}|${version}|${roles.join(',')}`, () => {
        const to = this.now();
        return this.deps.readMetricWindow({ modelId: d.modelId, environment: d.environment, version, role: roles, from: new Date(to.getTime() - LIVE_METRICS_WINDOW_MS), to });
      });
    const view = (versionId: string, version: string, w: MetricWindow): LiveVersionMetrics => {
      const s = w.summary;
      return { versionId, version, requests: s.totalRequests, errorRate: s.errorRate, avgLatencyMs: s.avgLatencyMs, p99LatencyMs: s.p99LatencyMs, accuracy: s.accuracy, labelled: s.labelledCount };
    };
    const [stable, candidate] = await Promise.all([
      d.stable ? read(d.stable.version, SERVING_ROLES) : Promise.resolve(null),
      read(d.version, d.strategy === 'Shadow' ? ['shadow', ...SERVING_ROLES] : SERVING_ROLES),
    ]);
    return {
      from: candidate.from.toISOString(),
      to: candidate.to.toISOString(),
      stable: stable && d.stable ? view(d.stable.versionId, d.stable.version, stable) : null,
      candidate: view(d.versionId, d.version, candidate),
    };
  }

  private detail(v: StoredDeployment, source: DeploymentDetail['source'], liveMetrics: DeploymentDetail['liveMetrics']): DeploymentDetail {
    const { sequence: _s, workflowId, firstExecutionRunId, runId: _r, ...view } = v;
    return {
      ...view,
      workflowId: workflowId ?? null,
      temporalUiUrl: workflowId && firstExecutionRunId ? this.temporalUiUrl(workflowId, firstExecutionRunId) : null,
      source,
      liveMetrics,
    };
  }

  private actor(principal: Principal): Actor {
    return { id: principal.id, username: principal.username, role: principal.role };
  }

  /**
   * Sends an update and waits for its result. Refused by the validator → 400/403/409; the
   * workflow is gone → 409 (ended) or 404; no worker accepted it in time → 503; accepted but the
   * result takes longer than DEPLOYMENT_COMMAND_TIMEOUT_MS → `{accepted: true}` (the caller answers 202).
   */
  private async send<R>(d: StoredDeployment, run: (h: WorkflowHandle) => Promise<{ result(): Promise<R> }>): Promise<{ done: true; result: R } | { done: false }> {
    const client = await this.client();
    const handle = this.handle(client, d);
    const deadline = Date.now() + this.deps.settings.commandTimeoutMs;
    let update: { result(): Promise<R> };
    try {
      update = await within(client, this.deps.settings.commandTimeoutMs, () => run(handle));
    } catch (e) {
      throw await this.commandError(e, d);
    }
    try {
      return { done: true, result: await within(client, Math.max(1, deadline - Date.now()), () => update.result()) };
    } catch (e) {
      if (isDeadline(e)) return { done: false };
      throw await this.commandError(e, d);
    }
  }

  private async commandError(e: unknown, d: StoredDeployment): Promise<AppError> {
    if (e instanceof WorkflowUpdateFailedError) return e.cause instanceof ApplicationFailure ? refusalError(e.cause.message, e.cause.type ?? undefined, e.cause.details ?? []) : refusalError(e.cause?.message ?? e.message);
    if (e instanceof WorkflowNotFoundError) {
      const latest = (await this.deps.deployments.get(d.deploymentId)) ?? d;
      return errors.conflict(`Deployment ${d.deploymentId} has ended (${latest.status}); it takes no more commands`);
    }
    if (isDeadline(e))
      return new AppError('SERVICE_UNAVAILABLE', `No worker accepted the command within ${this.deps.settings.commandTimeoutMs} ms; it may still apply once a worker runs`, [], { 'Retry-After': '5' });
    return new AppError('SERVICE_UNAVAILABLE', `The command could not be delivered: ${e instanceof Error ? e.message : String(e)}`, [], { 'Retry-After': '5' });
  }

  async decide(decision: 'approve' | 'reject', deploymentId: string, reason: string, principal: Principal): Promise<{ deploymentId: string; approval: ApprovalState | null; accepted: boolean; before: CommandState }> {
    const d = await this.stored(deploymentId);
    if (isTerminalStatus(d.status)) throw errors.conflict(`Deployment ${deploymentId} has ended (${d.status}); it takes no more commands`);
    const def = decision === 'approve' ? approveUpdate : rejectUpdate;
    const cmd = { by: this.actor(principal), reason };
    const out = await this.send<ApprovalState>(d, (h) => h.startUpdate(def, { args: [cmd], waitForStage: 'ACCEPTED' }));
    return { deploymentId, approval: out.done ? out.result : null, accepted: true, before: commandState(d) };
  }

  /** An Admin lets a failed validation gate pass (the workflow checks that it waits on that gate). */
  async overrideGate(deploymentId: string, gate: string, reason: string, principal: Principal): Promise<{ deploymentId: string; validationResult: ValidationReport | null; accepted: boolean; before: CommandState }> {
    const d = await this.stored(deploymentId);
    if (isTerminalStatus(d.status)) throw errors.conflict(`Deployment ${deploymentId} has ended (${d.status}); it takes no more commands`);
    const cmd = { by: this.actor(principal), gate, reason };
    const out = await this.send<ValidationReport>(d, (h) => h.startUpdate(overrideGateUpdate, { args: [cmd], waitForStage: 'ACCEPTED' }));
    return { deploymentId, validationResult: out.done ? out.result : null, accepted: true, before: commandState(d) };
  }

  /**
   * A command to a deployment's workflow (an Active deployment in its bake window included). A
   * rollback of a deployment whose workflow has ended runs as its own workflow (rollbackCompleted).
   */
  async control(kind: ControlCommandKind, deploymentId: string, reason: string | undefined, principal: Principal): Promise<{ view: DeploymentDetail; completed: boolean; before: CommandState }> {
    const d = await this.stored(deploymentId);
    return { ...(await this.controlStored(kind, d, reason, principal)), before: commandState(d) };
  }

  private async controlStored(kind: ControlCommandKind, d: StoredDeployment, reason: string | undefined, principal: Principal): Promise<{ view: DeploymentDetail; completed: boolean }> {
    const { deploymentId } = d;
    if (kind === 'rollback' && hasEnded(d)) return this.rollbackCompleted(d, reason ?? '', principal);
    if (hasEnded(d)) throw errors.conflict(`Deployment ${deploymentId} has ended (${d.status}); it takes no more commands`);
    const cmd = { by: this.actor(principal), ...(reason !== undefined && { reason }) };
    let out: Awaited<ReturnType<typeof this.send<DeploymentStatusView>>>;
    try {
      out = await this.send<DeploymentStatusView>(d, (h) => h.startUpdate(CONTROL_UPDATES[kind], { args: [cmd], waitForStage: 'ACCEPTED' }));
    } catch (e) {
      // The bake window ended between the read and the command: the rollback is then a workflow of its own.
      const latest = kind === 'rollback' ? await this.deps.deployments.get(deploymentId) : null;
      if (latest && hasEnded(latest)) return this.rollbackCompleted(latest, reason ?? '', principal);
      throw e;
    }
    if (out.done) return { view: this.detail({ ...d, ...out.result }, 'workflow', null), completed: true };
    return { view: this.detail(await this.stored(deploymentId), 'projection', null), completed: false };
  }

  /**
   * Rolls back a deployment whose workflow has ended: starts rollbackDeployment (id
   * rollback-<deploymentId>; a repeated request joins the running one, a failed one may be
   * retried) and waits up to DEPLOYMENT_COMMAND_TIMEOUT_MS for it. Only the deployment in force
   * can be rolled back: Active, not superseded, and no other deployment of the model and
   * environment running.
   */
  private async rollbackCompleted(d: StoredDeployment, reason: string, principal: Principal): Promise<{ view: DeploymentDetail; completed: boolean }> {
    const problem = completedRollbackProblem(d);
    if (problem) throw errors.conflict(`Deployment ${d.deploymentId} cannot be rolled back: ${problem}`);
    const client = await this.client();
    const { settings } = this.deps;
    const holder = client.workflow.getHandle(deploymentWorkflowId(d.modelId, d.environment));
    const running = await within(client, 5000, () => holder.describe()).catch(() => null);
    if (running?.status.name === 'RUNNING') {
      const other = (running.memo as { deploymentId?: unknown } | undefined)?.deploymentId;
      throw errors.conflict(`Deployment ${typeof other === 'string' ? other : 'another deployment'} of ${d.modelName} in ${d.environment} is running: finish, abort or roll back it first`);
    }
    const { sequence, workflowId: _w, firstExecutionRunId: _f, runId: _r, ...rest } = d;
    const input: RollbackDeploymentInput = { deployment: { ...rest, sequence }, by: this.actor(principal), reason };
    const workflowId = rollbackWorkflowId(d.deploymentId);
    let handle: WorkflowHandle;
    try {
      handle = await client.workflow.start('rollbackDeployment', {
        taskQueue: settings.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        workflowIdConflictPolicy: 'USE_EXISTING',
        memo: { deploymentId: d.deploymentId, requestedBy: principal.id },
        typedSearchAttributes: searchAttributes({ ...d, phase: 'RollingBack' }),
      });
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) throw errors.conflict(`Deployment ${d.deploymentId} has already been rolled back (${workflowId})`);
      throw unavailable(e);
    }
    try {
      const result = (await within(client, settings.commandTimeoutMs, () => handle.result())) as DeploymentStatusView;
      return { view: this.detail({ ...d, ...result }, 'workflow', null), completed: true };
    } catch (e) {
      if (isDeadline(e)) return { view: this.detail(await this.stored(d.deploymentId), 'projection', null), completed: false };
      if (e instanceof WorkflowFailedError && e.cause instanceof ApplicationFailure) throw refusalError(`Rollback of ${d.deploymentId} did not complete: ${e.cause.message}`, e.cause.type ?? undefined);
      throw unavailable(e);
    }
  }
}
