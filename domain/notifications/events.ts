/**
 * Notification events: what happened to a deployment (or a model) that people outside HotSwap
 * want to hear about. Built from the deployment's status view, so the evidence a receiver sees is
 * what the deployment recorded. Pure: the caller supplies the time.
 */
import type { AnalysisPhase } from '../deployments/analysis';
import type { DeploymentStatusView, MetricsSnapshot, RollbackRecord, RollbackTrigger, ValidationReport } from '../deployments/deployment-status';
import type { DeploymentStrategy, Environment } from '../deployments/enums';
import type { ShadowVerdict } from '../deployments/shadow-comparison';
import type { SmokeTestVerdict } from '../deployments/smoke-test';

export const NOTIFICATION_EVENT_TYPES = [
  'deployment.approval_needed',
  'deployment.approval_timed_out',
  'deployment.promoted',
  'deployment.rolled_back',
  'deployment.failed',
  'model.drift_detected',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** Failure types of the notification activity: the receiver refused the request (never retried), or it was not delivered (retried). */
export const NOTIFICATION_REJECTED = 'NOTIFICATION_REJECTED';
export const NOTIFICATION_FAILED = 'NOTIFICATION_FAILED';

/** The deployment an event is about. */
export interface DeploymentSubject {
  deploymentId: string;
  modelName: string;
  version: string;
  /** The version it replaces (null for a first deployment). */
  previousVersion: string | null;
  strategy: DeploymentStrategy;
  initiatedBy: string;
}

/** What the deployment had measured when it ended: the reasons a receiver can check. */
export interface DeploymentEvidence {
  analysisPhase: AnalysisPhase;
  metrics: MetricsSnapshot | null;
  validation: ValidationReport | null;
  smokeTest: SmokeTestVerdict | null;
  shadow: ShadowVerdict | null;
  abTest: DeploymentStatusView['abTest'];
}

interface EventBase {
  /** Unique per event and stable across retries: receivers drop a second delivery with the same id. */
  id: string;
  occurredAt: string;
  environment: Environment;
}

export type NotificationEvent =
  | (EventBase & { type: 'deployment.approval_needed'; deployment: DeploymentSubject; deadline: string; validation: ValidationReport | null })
  | (EventBase & { type: 'deployment.approval_timed_out'; deployment: DeploymentSubject; requestedAt: string | null; deadline: string | null })
  | (EventBase & { type: 'deployment.promoted'; deployment: DeploymentSubject; evidence: DeploymentEvidence })
  | (EventBase & { type: 'deployment.rolled_back'; deployment: DeploymentSubject; automatic: boolean; rollback: RollbackRecord; evidence: DeploymentEvidence })
  | (EventBase & { type: 'deployment.failed'; deployment: DeploymentSubject; trigger: RollbackTrigger | null; reason: string; errors: string[]; evidence: DeploymentEvidence })
  | (EventBase & { type: 'model.drift_detected'; model: { modelName: string; version: string }; drift: DriftFinding });

/** One drift finding (issue 13 produces them): which feature or output moved, by how much, measured how. */
export interface DriftFinding {
  /** Feature name, or "prediction" for the output distribution. */
  subject: string;
  /** e.g. "psi", "ks". */
  statistic: string;
  value: number;
  threshold: number;
  /** The windows compared, ISO times. */
  baseline: { from: string; to: string };
  current: { from: string; to: string };
}

/** Triggers a person asked for; every other rollback trigger is automatic. */
const MANUAL_TRIGGERS: readonly RollbackTrigger[] = ['rollback-command', 'abort', 'cancellation'];

/** Whether a rollback was decided by HotSwap itself. Example: 'threshold' → true, 'rollback-command' → false. */
export function isAutomaticRollback(trigger: RollbackTrigger): boolean {
  return !MANUAL_TRIGGERS.includes(trigger);
}

/** The event id of a deployment event: one event of each type per deployment. Example: "d-1:deployment.promoted". */
export const deploymentEventId = (deploymentId: string, type: NotificationEventType) => `${deploymentId}:${type}`;

export type DeploymentEventType = Exclude<NotificationEventType, 'model.drift_detected'>;

function subjectOf(view: DeploymentStatusView): DeploymentSubject {
  return {
    deploymentId: view.deploymentId,
    modelName: view.modelName,
    version: view.version,
    previousVersion: view.stable?.version ?? null,
    strategy: view.strategy,
    initiatedBy: view.initiatedBy,
  };
}

function evidenceOf(view: DeploymentStatusView): DeploymentEvidence {
  return { analysisPhase: view.analysisPhase, metrics: view.metrics, validation: view.validationResult, smokeTest: view.smokeTest, shadow: view.shadow, abTest: view.abTest };
}

/**
 * The event of `type` for a deployment, from its status view at `at` (ISO).
 * Example: a view with rollback {trigger: 'threshold', …} → rolled_back with automatic: true
 * and the metric windows and assessment that breached the threshold as evidence.
 */
export function deploymentEvent(type: DeploymentEventType, view: DeploymentStatusView, at: string): NotificationEvent {
  const base = { id: deploymentEventId(view.deploymentId, type), occurredAt: at, environment: view.environment, deployment: subjectOf(view) };
  switch (type) {
    case 'deployment.approval_needed':
      return { ...base, type, deadline: view.approval.deadline ?? at, validation: view.validationResult };
    case 'deployment.approval_timed_out':
      return { ...base, type, requestedAt: view.approval.requestedAt, deadline: view.approval.deadline };
    case 'deployment.promoted':
      return { ...base, type, evidence: evidenceOf(view) };
    case 'deployment.rolled_back': {
      const rollback: RollbackRecord = view.rollback ?? { trigger: 'failure', reason: view.errorMessage ?? 'rolled back', decidedAt: at, trafficRestoredAt: null, durationMs: null, routeRevision: null, errors: [] };
      return { ...base, type, automatic: isAutomaticRollback(rollback.trigger), rollback, evidence: evidenceOf(view) };
    }
    case 'deployment.failed':
      return { ...base, type, trigger: view.rollback?.trigger ?? null, reason: view.errorMessage ?? view.rollback?.reason ?? 'failed', errors: view.rollback?.errors ?? [], evidence: evidenceOf(view) };
  }
}

/** A drift alert for a model version in an environment. `id` is the caller's (one per alert, stable across retries). */
export function driftAlertEvent(input: { id: string; at: string; environment: Environment; modelName: string; version: string; drift: DriftFinding }): Extract<NotificationEvent, { type: 'model.drift_detected' }> {
  return { id: input.id, type: 'model.drift_detected', occurredAt: input.at, environment: input.environment, model: { modelName: input.modelName, version: input.version }, drift: input.drift };
}

/**
 * The event a deployment's ending announces, if any: RolledBack → rolled_back, Failed → failed,
 * Cancelled because the approval deadline passed → approval_timed_out. Aborts and rejections were
 * asked for by a person and announce nothing; good endings were announced at promotion.
 */
export function endingEventType(view: Pick<DeploymentStatusView, 'status' | 'approval'>): DeploymentEventType | null {
  if (view.status === 'RolledBack') return 'deployment.rolled_back';
  if (view.status === 'Failed') return 'deployment.failed';
  if (view.status === 'Cancelled' && view.approval.state === 'TimedOut') return 'deployment.approval_timed_out';
  return null;
}
