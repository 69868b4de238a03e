/**
 * The activities the deployment workflows call: the contract between workflows/ (which import
 * these types only) and the implementations built by createActivities(deps).
 *
 * Every activity must be idempotent: Temporal may run it more than once (retries, a worker that
 * died after doing the work but before reporting it), and it must leave the same result. Keys
 * for idempotency are the deploymentId plus the inputs (and `sequence` where one is given).
 * Bad input (unknown model/version/server) → non-retryable ApplicationFailure typed with the
 * error catalogue's code; transient trouble → a normal (retryable) error.
 */
import type { MetricWindow } from '../domain/deployments/analysis';
import type { DeploymentStatusView, ValidationCheck, VersionRef } from '../domain/deployments/deployment-status';
import type { DeploymentStrategy, Environment } from '../domain/deployments/enums';
import type { ShadowComparison } from '../domain/deployments/shadow-comparison';
import type { SmokeTestResult } from '../domain/deployments/smoke-test';
import type { NotificationEvent } from '../domain/notifications/events';
import type { ArtifactCheck } from './registry-activities';
import type { MeasureCandidateInput } from './candidate-measurement';
import type { CandidateMeasurement } from '../domain/validation/measurement';

/** One weighted pool of the routing table. */
export interface RoutePool {
  versionId: string;
  /** Integer percentage; the pools of a route sum to 100. */
  weight: number;
  /** Restrict the pool to these servers (rolling updates); omitted = every server that has the version loaded and ready. */
  servers?: string[];
}

/** The routing table entry of one (model, environment). */
export interface RouteSpec {
  pools: RoutePool[];
  /** Mirror `percentage`% of requests to this version; its answers are logged, never returned. */
  shadow: { versionId: string; percentage: number } | null;
  /** Sticky A/B assignment: callers with the same value of this header always reach the same pool. */
  sticky: { header: string } | null;
}

export interface RouteApplied {
  /** The routing table revision that holds this route. */
  revision: number;
  /** When the last gateway reported serving `revision` (ISO). */
  confirmedAt: string;
  /** Gateways that confirmed. */
  gateways: number;
  /** Wall time from the start of the write to the last confirmation, ms. */
  elapsedMs: number;
}

export interface DeploymentTargets {
  /** The version serving the (model, environment) now; null for a first deployment. */
  stable: VersionRef | null;
  /** The servers the model runs on in this environment (where the candidate will be loaded). */
  servers: string[];
  /** Human-readable model name and candidate version string, for search attributes and messages. */
  modelName: string;
  version: string;
}

export interface WarmUpResult {
  /** Servers that loaded, verified the checksum, warmed up and report the version ready. */
  ready: string[];
  failed: { server: string; reason: string }[];
}

export interface UnloadResult {
  /** Servers it was unloaded from (or was not loaded on). */
  unloadedFrom: string[];
  /** Set when keepIfRouted left it loaded: why. */
  kept: string | null;
}

export interface ServerHealth {
  server: string;
  healthy: boolean;
  /** The server reports the version loaded and ready. */
  ready: boolean;
  reason?: string;
}

export interface WindowSpec {
  versionId: string;
  /** ISO timestamps, [from, to). */
  from: string;
  to: string;
}

/** What rolling back a completed deployment restores (resolveRollbackTarget). */
export interface RollbackTarget {
  /** The route to restore: the table revision in force before the deployment's first route write. */
  route: RouteSpec;
  /** That ledger revision; null when the ledger no longer holds it (the route is then the deployment's stable version at 100 %). */
  restoresRevision: number | null;
  /** The highest route sequence the deployment wrote: the rollback writes the next one, so fencing holds. */
  lastSequence: number;
  /** Versions the route sends traffic to (pools, shadow): each is loaded and Ready before the route is applied. */
  versionIds: string[];
  /** The version the restored route serves (its heaviest pool): made the active version again. */
  previous: VersionRef;
  /** Live model servers (where the versions are loaded). */
  servers: string[];
  /** Why the rollback cannot go ahead (the routing table no longer serves the deployment's version), or null. */
  problem: string | null;
}

/** The projection written to MongoDB (deployments collection), keyed by deploymentId. */
export type DeploymentProjection = DeploymentStatusView;

/** What approvers are told about a deployment that waits for them. */
export interface ApprovalNeededInput {
  deploymentId: string;
  modelName: string;
  version: string;
  /** The version it would replace (absent in runs recorded before it was passed). */
  previousVersion?: string | null;
  environment: Environment;
  strategy: DeploymentStrategy;
  initiatedBy: string;
  deadline: string;
  validation: DeploymentStatusView['validationResult'];
}

export interface DeploymentActivities {
  /**
   * Reads which version serves (modelId, environment) now and the servers the model runs on
   * there. Pure read; fails non-retryably with MODEL_NOT_FOUND / VERSION_NOT_FOUND.
   */
  resolveDeploymentTargets(input: { deploymentId: string; modelId: string; versionId: string; environment: Environment }): Promise<DeploymentTargets>;

  /**
   * Validation gate "artifact integrity" (the registry activity): re-reads the stored artifact and
   * compares its SHA-256 and size with the registered ones. Pure read.
   */
  verifyArtifactIntegrity(input: { modelId: string; versionId: string }): Promise<ArtifactCheck>;

  /**
   * Validation gate "loads": loads the version in a scratch ONNX session (or on one server),
   * runs its sample input once, unloads it. Returns passed: false with the error when it does not
   * load or the output does not match the output schema. Idempotent: nothing stays loaded.
   */
  checkCandidateLoads(input: { deploymentId: string; modelId: string; versionId: string }): Promise<ValidationCheck>;

  /**
   * Validation gate "schemas match": the candidate's input schema accepts what the stable version
   * accepts (same required features and types) and its output schema has the same shape. Passes
   * when there is no stable version. Pure read.
   */
  checkSchemaCompatibility(input: { modelId: string; versionId: string; stableVersionId: string | null }): Promise<ValidationCheck>;

  /**
   * Validation gates latency, accuracy, memory and bias: what they judge, measured on one model
   * server (a scratch load of the candidate, its labelled holdout sample, timed single rows next
   * to the stable version). Idempotent: nothing stays loaded. "Could not measure" is a field of
   * the answer, not a failure.
   */
  measureCandidate(input: MeasureCandidateInput): Promise<CandidateMeasurement>;

  /**
   * Tells the approvers (Admins) that a Production deployment waits for approval: who started it,
   * the validation report and the deadline. Sends once per deploymentId (a retry must not send
   * a second message).
   */
  notifyApprovalNeeded(input: ApprovalNeededInput): Promise<void>;

  /**
   * Sends a notification event (of a deployment, or a drift alert) to the webhooks of its
   * environment (NOTIFY_WEBHOOKS) and the log.
   * A retry sends only to the webhooks that have not received it; every request carries the
   * event id as Idempotency-Key. A receiver that refuses the request (4xx) fails it for good
   * (NOTIFICATION_REJECTED); anything else is retried (NOTIFICATION_FAILED).
   */
  sendNotification(event: NotificationEvent): Promise<void>;

  /**
   * Loads the version on each server (load → verify checksum → warm up) and returns once every
   * server reports it ready or failed. Heartbeats while waiting and stops when cancelled. Loading
   * a version that is already loaded and ready is a no-op.
   */
  warmUpVersion(input: { deploymentId: string; modelId: string; versionId: string; servers: string[] }): Promise<WarmUpResult>;

  /**
   * Unloads the version from the servers (all of the model's servers when omitted) once no route
   * points at it there and in-flight requests have drained. Unloading a version that is not
   * loaded is a no-op. A version a routing table still sends traffic to is refused (CONFLICT),
   * or, with keepIfRouted, left loaded everywhere (`kept` says why).
   */
  unloadVersion(input: { deploymentId: string; modelId: string; versionId: string; servers?: string[]; keepIfRouted?: boolean }): Promise<UnloadResult>;

  /**
   * Writes the route of (modelId, environment) as a new routing-table revision and returns once
   * every gateway reports serving that revision (or a newer one). Fencing: the write only
   * happens when `sequence` is greater than the last sequence this deployment applied, so a
   * late retry of an older route can never overwrite a newer one (e.g. a rollback); a repeated
   * call with the same sequence returns the revision it already wrote.
   */
  applyRoute(input: { deploymentId: string; modelId: string; environment: Environment; sequence: number; route: RouteSpec; reason: string }): Promise<RouteApplied>;

  /**
   * Sums the metric buckets of each version over its window (each window has its own version
   * and time range; blue-green compares green after the switch with blue before it). Waits for
   * the gateways' buckets up to `to` to be flushed before reading. Pure read.
   */
  readMetricWindows(input: { modelId: string; environment: Environment; stable: WindowSpec; candidate: WindowSpec }): Promise<{ stable: MetricWindow; candidate: MetricWindow }>;

  /**
   * Sends `samples` rows of the version's labelled sample set to the candidate directly (not
   * through the routing table) and reports valid outputs and correct answers, with the version's
   * baseline accuracy. Pure (no state change).
   */
  runSmokeTest(input: { deploymentId: string; modelId: string; versionId: string; samples: number }): Promise<SmokeTestResult>;

  /** Compares mirrored requests of shadow and primary over [from, to) from the prediction log. Pure read. */
  readShadowComparison(input: { modelId: string; environment: Environment; primaryVersionId: string; shadowVersionId: string; from: string; to: string }): Promise<ShadowComparison>;

  /** Health and readiness of the version on each server. Pure read. */
  checkServerHealth(input: { modelId: string; versionId: string; servers: string[] }): Promise<ServerHealth[]>;

  /**
   * Makes `versionId` the active version of (modelId, environment): the model's activeVersion
   * (Production) moves to it, its status becomes Deployed, the change is recorded with the
   * deploymentId. Idempotent: activating the active version again changes nothing. A rollback
   * after activation calls it with the previous version. Completed Active deployments of the same
   * model and environment that started before this one are marked Superseded in the projection;
   * those this deployment superseded whose version is `versionId` become Active again (a rollback).
   */
  activateVersion(input: { deploymentId: string; modelId: string; environment: Environment; versionId: string; previousVersionId: string | null }): Promise<void>;

  /**
   * For rolling back a completed deployment: the routing it replaced (from the routing ledger),
   * the versions to load first, and the route sequence to write next. Pure read; a table that
   * moved on since the deployment is reported in `problem`, not thrown.
   */
  resolveRollbackTarget(input: { deploymentId: string; modelId: string; environment: Environment; versionId: string; stable: VersionRef | null }): Promise<RollbackTarget>;

  /** Marks a version that no longer serves the environment Deprecated (after it was unloaded). Idempotent. */
  retireVersion(input: { deploymentId: string; modelId: string; environment: Environment; versionId: string }): Promise<void>;

  /**
   * Upserts the deployment's projection in MongoDB (status reads work while no worker runs).
   * Writes only when `sequence` is greater than the stored one, so retries and reordering never
   * move the projection backwards.
   */
  recordDeploymentStatus(projection: DeploymentProjection): Promise<void>;
}
