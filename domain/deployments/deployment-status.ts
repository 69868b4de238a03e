/**
 * What a deployment looks like from outside: the status query's answer, the MongoDB projection
 * and the workflow's result share these types.
 */
import type { Judgement } from '../decisions/judgement';
import type { AnalysisPhase, MetricWindow, WindowAssessment } from './analysis';
import type { AbTestReport } from './ab-test';
import { isTerminalStatus, type DeploymentPhase, type DeploymentStatus, type DeploymentStrategy, type Environment } from './enums';
import type { ShadowVerdict } from './shadow-comparison';
import type { SmokeTestVerdict } from './smoke-test';
import type { DeploymentStep } from './steps';

export interface VersionRef {
  versionId: string;
  version: string;
}

/** Passed and Failed were measured; NotMeasured could not be (or is not checked) and does not block; Overridden failed and an Admin let it pass. */
export type GateOutcome = 'Passed' | 'Failed' | 'NotMeasured' | 'Overridden';

/** An Admin's override of a failed gate. */
export interface GateOverride {
  by: string;
  byName: string;
  reason: string;
  at: string;
}

/** One validation gate's verdict. New gates add entries; the names are open. */
export interface ValidationCheck {
  name: string;
  /** True when the deployment may go on past this gate (Passed, NotMeasured, Overridden). */
  passed: boolean;
  message: string;
  /** Absent on the checks that only pass or fail (artifact integrity, loads, schemas). */
  outcome?: GateOutcome;
  /** A failed measured gate an Admin may override. */
  overridable?: boolean;
  override?: GateOverride;
  /** The numbers behind the verdict (e.g. candidateMedianMs, accuracy). */
  measured?: Record<string, number>;
}

export interface ValidationReport {
  passed: boolean;
  checks: ValidationCheck[];
  /** Numbers the gates measured (e.g. load time), for the approval page. */
  metrics: Record<string, number>;
  validatedAt: string;
}

/** Combines gate verdicts: passed only when every gate passed. Example: one failing gate → passed: false. */
export function summarizeValidation(checks: ValidationCheck[], validatedAt: string, metrics: Record<string, number> = {}): ValidationReport {
  return { passed: checks.length > 0 && checks.every((c) => c.passed), checks, metrics, validatedAt };
}

/**
 * The report after an Admin overrode the failed, overridable gate `name`: that check passes as
 * Overridden (its measured message kept) and the report passes once no other check fails.
 * Example: latency Failed, the rest Passed → override latency → passed: true, latency Overridden.
 */
export function overrideGate(report: ValidationReport, name: string, override: GateOverride): ValidationReport {
  const checks = report.checks.map((c) => (c.name === name && c.overridable && !c.passed ? { ...c, passed: true, outcome: 'Overridden' as const, override } : c));
  return { ...report, checks, passed: checks.every((c) => c.passed) };
}

/** The failed checks an Admin may override. Example: [{name: 'latency', passed: false, overridable: true}] → ['latency']. */
export function overridableFailures(report: ValidationReport | null): string[] {
  return (report?.checks ?? []).filter((c) => !c.passed && c.overridable).map((c) => c.name);
}

export type ApprovalDecisionState = 'NotRequired' | 'Pending' | 'Approved' | 'Rejected' | 'TimedOut';

export interface ApprovalState {
  required: boolean;
  state: ApprovalDecisionState;
  requestedAt: string | null;
  deadline: string | null;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  reason: string | null;
}

export interface HistoryEntry {
  at: string;
  /** e.g. "setWeight 25%", "analysis PT5M", "approval", "rollback". */
  step: string;
  /** e.g. "Continue", "Rollback", "Approved", "Paused", "Done". */
  decision: string;
  reason: string;
  /** The anytime-valid judgements behind an analysis decision: verdict, statistic, bound, interval, samples. */
  evidence?: Judgement[];
}

/** What ended a deployment badly. */
export type RollbackTrigger =
  | 'threshold' // a metric breached its threshold
  | 'inconclusive' // too little data after every extension: fail safe
  | 'abort' // abort command
  | 'rollback-command' // rollback command
  | 'cancellation' // the workflow was cancelled
  | 'failure' // an activity or the workflow failed
  | 'validation' // a validation gate failed
  | 'approval' // rejected, or the approval deadline passed
  | 'smoke-test' // blue-green smoke test failed
  | 'shadow-rejected' // shadow comparison failed
  | 'experiment' // A/B test kept the control
  | 'warm-up' // the candidate did not become ready everywhere
  | 'max-failures'; // rolling update: more failed batches than maxFailures

export interface RollbackRecord {
  trigger: RollbackTrigger;
  reason: string;
  /** Workflow time of the decision. */
  decidedAt: string;
  /** When every gateway confirmed the route back to stable (null when routing had not changed). */
  trafficRestoredAt: string | null;
  /** Decision to traffic restored on every gateway, ms (null when routing had not changed). */
  durationMs: number | null;
  /** The route revision that restored stable traffic. */
  routeRevision: number | null;
  /** Compensation steps that failed (logged and swallowed so the others still run). */
  errors: string[];
  /** Who asked for it (username), when a person did. Absent on records written before it existed. */
  requestedBy?: string | null;
  /** The rollbackDeployment workflow that rolled back a completed deployment (null: the deployment's own workflow). */
  workflowId?: string | null;
}

export interface MetricsSnapshot {
  from: string;
  to: string;
  stable: MetricWindow | null;
  candidate: MetricWindow | null;
  assessment: WindowAssessment | null;
}

export interface DeploymentStatusView {
  deploymentId: string;
  modelId: string;
  modelName: string;
  versionId: string;
  version: string;
  stable: VersionRef | null;
  strategy: DeploymentStrategy;
  environment: Environment;
  initiatedBy: string;
  status: DeploymentStatus;
  phase: DeploymentPhase;
  progressPercentage: number;
  /** Share of user traffic on the candidate (shadow mirroring does not count). */
  trafficPercentage: number;
  currentStep: { index: number; total: number; step: DeploymentStep; label: string; startedAt: string } | null;
  history: HistoryEntry[];
  approval: ApprovalState;
  validationResult: ValidationReport | null;
  metrics: MetricsSnapshot | null;
  assignedServers: string[];
  smokeTest: SmokeTestVerdict | null;
  shadow: ShadowVerdict | null;
  abTest: { outcome: string; report: AbTestReport | null; looks: number } | null;
  rollback: RollbackRecord | null;
  /** The worst analysis phase seen so far (Successful until something else happens). */
  analysisPhase: AnalysisPhase;
  startedAt: string;
  updatedAt: string;
  completedAt: string | null;
  errorMessage: string | null;
  /** The deployment that superseded this one (status Superseded). */
  supersededBy?: string | null;
  /** Increases with every published change; the projection ignores older writes. */
  sequence: number;
}

/** Who and what a new deployment is about: the fields its first status view is built from. */
export type DeploymentIdentity = Pick<DeploymentStatusView, 'deploymentId' | 'modelId' | 'modelName' | 'versionId' | 'version' | 'strategy' | 'environment' | 'initiatedBy'>;

/**
 * The status view of a deployment that has not done anything yet (Pending, no traffic, approval
 * Pending when required). The API writes it as the first projection; the workflow starts from it.
 */
export function initialDeploymentView(who: DeploymentIdentity, approvalRequired: boolean, at: string, history: HistoryEntry[] = []): DeploymentStatusView {
  return {
    ...who,
    stable: null,
    status: 'Pending',
    phase: 'Pending',
    progressPercentage: 0,
    trafficPercentage: 0,
    currentStep: null,
    history,
    approval: { required: approvalRequired, state: approvalRequired ? 'Pending' : 'NotRequired', requestedAt: null, deadline: null, decidedBy: null, decidedByName: null, decidedAt: null, reason: null },
    validationResult: null,
    metrics: null,
    assignedServers: [],
    smokeTest: null,
    shadow: null,
    abTest: null,
    rollback: null,
    analysisPhase: 'Successful',
    startedAt: at,
    updatedAt: at,
    completedAt: null,
    errorMessage: null,
    sequence: 0,
  };
}

/**
 * Whether the deployment's workflow has finished: a terminal status, and for Active also a
 * completion time (an Active deployment without one is still in its bake window and takes
 * commands). Example: {status: 'Active', completedAt: null} → false.
 */
export function hasEnded(view: Pick<DeploymentStatusView, 'status' | 'completedAt'>): boolean {
  return isTerminalStatus(view.status) && (view.status !== 'Active' || view.completedAt !== null);
}

/** A workflow's result: the final status view. */
export type DeploymentResult = DeploymentStatusView;
