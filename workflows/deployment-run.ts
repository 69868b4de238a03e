/**
 * The state of one deployment run: status, history, approval, commands, compensation
 * bookkeeping. A plain class (samples-typescript's safe-message-handlers habit): the workflow
 * files only wire it up and walk the plan.
 */
import { ApplicationFailure, CancellationScope, condition, log, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { approvalProblems, controlProblems, refusalCode, type ApprovalCommand, type CommandProblem, type ControlCommand, type ControlCommandKind } from '../domain/deployments/commands';
import { initialDeploymentView, type ApprovalState, type DeploymentStatusView, type HistoryEntry, type VersionRef } from '../domain/deployments/deployment-status';
import { isTerminalStatus, type DeploymentPhase, type DeploymentStatus } from '../domain/deployments/enums';
import { describeStep, isSkippedOnPromote, progressPercentage, type DeploymentStep } from '../domain/deployments/steps';
import type { Judgement } from '../domain/decisions/judgement';
import type { DeploymentInput } from './deployment-input';
import { abortUpdate, approveUpdate, pauseUpdate, promoteUpdate, rejectUpdate, resumeUpdate, rollbackUpdate, statusQuery, supersedeUpdate, type SupersedeCommand } from './messages';
import { bookkeeping } from './activity-stubs';
import { installOverrideHandler } from './gates/gate-override';
import { DeploymentPhaseKey, DeploymentStrategyKey, EnvironmentKey, ModelNameKey, ModelVersionKey } from './search-attributes';

/** What compensation must undo. Filled in before each forward action, so a half-done action is undone too. */
export interface Compensation {
  /** Servers the candidate was (being) loaded on. */
  candidateOn: string[];
  /** Whether the routing table was changed from stable-only. */
  routeChanged: boolean;
  /** Whether the candidate was made the active version. */
  activated: boolean;
  /** Servers where the stable version was unloaded (rolling updates). */
  stableUnloadedOn: string[];
  /** The previous version has been retired: rollback is no longer a routing change. */
  stableRetired: boolean;
}

/** Everything a run must hand to its continuation (continue-as-new). */
export interface RunSnapshot {
  view: DeploymentStatusView;
  plan: DeploymentStep[];
  stepIndex: number;
  compensation: Compensation;
  routeSequence: number;
  servers: string[];
  paused: boolean;
  resumeStatus: DeploymentStatus;
  resumePhase: DeploymentPhase;
}

export interface StopRequest {
  kind: 'abort' | 'rollback';
  by: string;
  /** The sender's username (absent in runs recorded before it was kept). */
  byName?: string;
  reason: string;
}

/** A later deployment of the same model and environment asked this one to end its bake window. */
export interface SupersedeRequest {
  by: string;
  reason: string;
  /** The deployment that takes over. */
  supersededBy: string | null;
}

const MAX_HISTORY = 500;
const now = () => new Date(Date.now()).toISOString();

/**
 * An update validator's refusal: typed with the error code the API answers (refusalCode) and
 * carrying the problems as details, so nothing downstream reads the message to classify it.
 * Validators write nothing to history, so this is replay-safe.
 */
function refusal(problems: readonly CommandProblem[]): ApplicationFailure {
  return ApplicationFailure.create({ message: problems.map((p) => p.message).join('; '), type: refusalCode(problems), details: [problems], nonRetryable: true });
}

export class DeploymentRun {
  view: DeploymentStatusView;
  plan: DeploymentStep[] = [];
  stepIndex = 0;
  compensation: Compensation = { candidateOn: [], routeChanged: false, activated: false, stableUnloadedOn: [], stableRetired: false };
  /** Fencing for applyRoute: each routing write carries a higher number than the one before. */
  routeSequence = 0;
  servers: string[] = [];
  paused = false;
  promoteRequested = false;
  stop: StopRequest | null = null;
  supersede: SupersedeRequest | null = null;
  /** Compensation has started: no more commands. */
  compensating = false;
  ended = false;
  /** Notifications being sent in the background (workflows/gates/notify.ts). */
  readonly notifications: Promise<void>[] = [];
  /** The cancellable scope of the forward path: abort and rollback cancel it. */
  readonly forward = new CancellationScope();
  private resumeStatus: DeploymentStatus = 'Deploying';
  private resumePhase: DeploymentPhase = 'ShiftingTraffic';
  private lastPhase: DeploymentPhase | null = null;

  constructor(readonly input: DeploymentInput, snapshot?: RunSnapshot) {
    const at = now();
    const required = input.approval?.required ?? input.environment === 'Production';
    this.view =
      snapshot?.view ??
      initialDeploymentView(
        {
          deploymentId: input.deploymentId,
          modelId: input.modelId,
          // Why the fallbacks: inputs of runs started before the API passed the names.
          modelName: input.modelName ?? input.modelId,
          versionId: input.versionId,
          version: input.version ?? input.versionId,
          strategy: input.strategy,
          environment: input.environment,
          initiatedBy: input.initiatedBy,
        },
        required,
        at,
      );
    if (!snapshot && input.supersedes) this.record('request', 'Supersedes', `deployment ${input.supersedes} ended its bake window and gave way`);
    if (snapshot) {
      this.plan = snapshot.plan;
      this.stepIndex = snapshot.stepIndex;
      this.compensation = snapshot.compensation;
      this.routeSequence = snapshot.routeSequence;
      this.servers = snapshot.servers;
      this.paused = snapshot.paused;
      this.resumeStatus = snapshot.resumeStatus;
      this.resumePhase = snapshot.resumePhase;
      this.lastPhase = snapshot.view.phase;
    }
  }

  snapshot(): RunSnapshot {
    return {
      view: this.view,
      plan: this.plan,
      stepIndex: this.stepIndex,
      compensation: this.compensation,
      routeSequence: this.routeSequence,
      servers: this.servers,
      paused: this.paused,
      resumeStatus: this.resumeStatus,
      resumePhase: this.resumePhase,
    };
  }

  get stable(): VersionRef | null {
    return this.view.stable;
  }

  /** Whether a rollback is still a routing change to a warm version. */
  get canRollBack(): boolean {
    return !this.compensation.stableRetired && this.stable !== null && !this.ended;
  }

  /** In the bake window: promoted, the previous version still warm, the run not ending. */
  get baking(): boolean {
    return this.view.status === 'Active' && this.canRollBack && !this.compensating;
  }

  private commandContext() {
    const rest = this.plan.slice(this.stepIndex);
    return {
      status: this.view.status,
      initiatedBy: this.input.initiatedBy,
      canRollBack: this.canRollBack,
      baking: this.baking,
      canPromote: !this.ended && rest.some((s) => isSkippedOnPromote(s) || s.kind === 'updateBatch') && !this.promoteRequested,
      approvalState: this.view.approval.state,
    };
  }

  installHandlers(): void {
    setHandler(statusQuery, () => this.view);
    const approval = (decision: 'Approved' | 'Rejected') => async (cmd: ApprovalCommand): Promise<ApprovalState> => {
      this.view.approval = { ...this.view.approval, state: decision, decidedBy: cmd.by.id, decidedByName: cmd.by.username, decidedAt: now(), reason: cmd.reason };
      this.record('approval', decision, `${cmd.by.username}: ${cmd.reason}`);
      return this.view.approval;
    };
    const validateApproval = (cmd: ApprovalCommand) => {
      // An abort or rollback may end a deployment that still shows AwaitingApproval: no decision then.
      if (this.compensating || this.ended) throw refusal([{ code: 'CONFLICT', message: `the deployment is ${this.ended ? 'over' : 'ending'}; the approval can no longer be decided` }]);
      const problems = approvalProblems(cmd, this.commandContext());
      if (problems.length > 0) throw refusal(problems);
    };
    setHandler(approveUpdate, approval('Approved'), { validator: validateApproval });
    setHandler(rejectUpdate, approval('Rejected'), { validator: validateApproval });

    const control = (kind: ControlCommandKind) => (cmd: ControlCommand) => {
      if (this.compensating || this.ended) throw refusal([{ code: 'CONFLICT', message: `the deployment is ${this.ended ? 'over' : 'already rolling back'}` }]);
      const problems = controlProblems(kind, cmd, this.commandContext());
      if (problems.length > 0) throw refusal(problems);
    };
    setHandler(pauseUpdate, async (cmd) => {
      this.paused = true;
      this.resumeStatus = this.view.status;
      this.resumePhase = this.view.phase;
      this.record('pause', 'Paused', `${cmd.by.username}${cmd.reason ? `: ${cmd.reason}` : ''}`);
      await this.setStatus('Paused', 'Paused');
      return this.view;
    }, { validator: control('pause') });
    setHandler(resumeUpdate, async (cmd) => {
      this.paused = false;
      this.record('resume', 'Resumed', `${cmd.by.username}${cmd.reason ? `: ${cmd.reason}` : ''}`);
      await this.setStatus(this.resumeStatus, this.resumePhase);
      return this.view;
    }, { validator: control('resume') });
    setHandler(promoteUpdate, async (cmd) => {
      this.promoteRequested = true;
      this.paused = false;
      if (this.view.status === 'Paused') await this.setStatus(this.resumeStatus, this.resumePhase);
      this.record('promote', 'Promote', `${cmd.by.username}${cmd.reason ? `: ${cmd.reason}` : ''}: remaining steps skipped`);
      return this.view;
    }, { validator: control('promote') });
    const stop = (kind: 'abort' | 'rollback') => async (cmd: ControlCommand): Promise<DeploymentStatusView> => {
      if (!this.stop) {
        this.stop = { kind, by: cmd.by.id, byName: cmd.by.username, reason: `${cmd.by.username}: ${cmd.reason ?? ''}` };
        this.record(kind, kind === 'abort' ? 'Abort' : 'Rollback', this.stop.reason);
        this.forward.cancel();
      }
      // Why wait: the caller gets the final state (RolledBack with rollback time), not an intention.
      await condition(() => this.ended);
      return this.view;
    };
    setHandler(abortUpdate, stop('abort'), { validator: control('abort') });
    setHandler(rollbackUpdate, stop('rollback'), { validator: control('rollback') });
    // Ends the bake window now: the plan's remaining waits are skipped (as by promote), the
    // previous version is retired (kept when still routed), and the run ends Superseded.
    setHandler(supersedeUpdate, async (cmd: SupersedeCommand): Promise<DeploymentStatusView> => {
      if (!this.supersede) {
        this.supersede = { by: cmd.by.id, reason: `${cmd.by.username}: ${cmd.reason ?? ''}`, supersededBy: cmd.supersededBy ?? null };
        this.view.supersededBy = this.supersede.supersededBy;
        this.promoteRequested = true;
        this.record('supersede', 'Supersede', `${this.supersede.reason}${cmd.supersededBy ? ` (by deployment ${cmd.supersededBy})` : ''}`);
      }
      await condition(() => this.ended);
      return this.view;
    }, { validator: control('supersede') });
    installOverrideHandler(this);
  }

  record(step: string, decision: string, reason: string, evidence?: Judgement[]): void {
    const entry: HistoryEntry = { at: now(), step, decision, reason, ...(evidence && { evidence }) };
    this.view.history.push(entry);
    if (this.view.history.length > MAX_HISTORY) this.view.history.splice(0, this.view.history.length - MAX_HISTORY);
  }

  /** Pauses the deployment on its own (as a pause command would) until a person resumes, promotes or stops it. */
  async hold(step: string, reason: string): Promise<void> {
    if (!this.paused) {
      this.paused = true;
      this.resumeStatus = this.view.status;
      this.resumePhase = this.view.phase;
    }
    this.record(step, 'Held', reason);
    await this.setStatus('Paused', 'Paused');
  }

  /** Sets status and phase, upserts the DeploymentPhase search attribute and publishes the projection. */
  async setStatus(status: DeploymentStatus, phase: DeploymentPhase): Promise<void> {
    if (this.paused && status === 'Deploying') {
      // Paused wins until resumed; remember where to go back to.
      this.resumeStatus = status;
      this.resumePhase = phase;
      return this.publish();
    }
    this.view.status = status;
    await this.setPhase(phase);
  }

  async setPhase(phase: DeploymentPhase): Promise<void> {
    if (this.paused && phase !== 'Paused' && phase !== 'RollingBack' && this.view.status === 'Paused') {
      this.resumePhase = phase;
      return this.publish();
    }
    this.showPhase(phase);
    await this.publish();
  }

  /** Sets the phase and its search attribute without publishing the projection (the caller publishes later). */
  showPhase(phase: DeploymentPhase): void {
    this.view.phase = phase;
    if (this.lastPhase !== phase) {
      upsertSearchAttributes([{ key: DeploymentPhaseKey, value: phase }]);
      this.lastPhase = phase;
    }
  }

  /** Sets the identifying search attributes (once the model name and version string are known). */
  tagSearchAttributes(): void {
    upsertSearchAttributes([
      { key: ModelNameKey, value: this.view.modelName },
      { key: ModelVersionKey, value: this.view.version },
      { key: DeploymentStrategyKey, value: this.view.strategy },
      { key: EnvironmentKey, value: this.view.environment },
      { key: DeploymentPhaseKey, value: this.view.phase },
    ]);
    this.lastPhase = this.view.phase;
  }

  /** Writes the projection. Best effort: a projection that cannot be written must not stop a deployment. */
  async publish(): Promise<void> {
    this.view.sequence += 1;
    this.view.updatedAt = now();
    this.view.progressPercentage = this.progress();
    try {
      await bookkeeping.recordDeploymentStatus({ ...this.view, history: [...this.view.history] });
    } catch (err) {
      if (CancellationScope.current().consideredCancelled) throw err;
      log.warn('deployment projection not written', { deploymentId: this.view.deploymentId, error: String(err) });
    }
  }

  private progress(): number {
    if (this.view.status === 'Active' && this.stepIndex >= this.plan.length) return 100;
    return progressPercentage(this.stepIndex, this.plan.length);
  }

  beginStep(index: number): void {
    this.stepIndex = index;
    const step = this.plan[index];
    this.view.currentStep = { index, total: this.plan.length, step, label: describeStep(step), startedAt: now() };
  }

  /**
   * Waits `ms` of deployment time: the clock stops while paused, and a promote or stop command
   * ends the wait early. Returns 'promoted' when a promote command cut it short.
   */
  async waitFor(ms: number): Promise<'elapsed' | 'promoted'> {
    let remaining = ms;
    while (remaining > 0 && !this.promoteRequested) {
      if (this.paused) {
        await condition(() => !this.paused || this.promoteRequested);
        continue;
      }
      const started = Date.now();
      await condition(() => this.paused || this.promoteRequested, remaining);
      remaining -= Date.now() - started;
    }
    return this.promoteRequested ? 'promoted' : 'elapsed';
  }

  /** Between steps: hold while paused. */
  async checkpoint(): Promise<void> {
    if (this.paused) await condition(() => !this.paused);
  }

  nextRouteSequence(): number {
    this.routeSequence += 1;
    return this.routeSequence;
  }

  get terminal(): boolean {
    return isTerminalStatus(this.view.status);
  }

  get workflowId(): string {
    return workflowInfo().workflowId;
  }
}
