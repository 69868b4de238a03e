/**
 * The skeleton every strategy shares: resolve targets, walk the plan (validate → approve →
 * strategy steps → promote → retire), and on every bad ending — a threshold breach, abort,
 * rollback command, cancellation, failure — run compensation in a non-cancellable scope.
 */
import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, ContinueAsNew, isCancellation, log, rootCause } from '@temporalio/workflow';
import type { DeploymentResult } from '../domain/deployments/deployment-status';
import { endingEventType } from '../domain/notifications/events';
import { isSkippedOnPromote, describeStep, type DeploymentStep, type PlanContext, type StepKind } from '../domain/deployments/steps';
import type { DeploymentTargets } from '../activities/deployment-activity-types';
import { reads } from './activity-stubs';
import type { DeploymentInput } from './deployment-input';
import { DeploymentRun, type RunSnapshot } from './deployment-run';
import { approvalGate } from './gates/approval';
import { DeploymentEnding, type BadStatus } from './gates/ending';
import { notificationsSettled, notify } from './gates/notify';
import { promoteStep, retirePreviousStep, rewarmPreviousStep } from './gates/promotion';
import { compensate } from './gates/rollback';
import { applyForwardRoute, splitRoute } from './gates/routing';
import { validateGate } from './gates/validate';
import { warmUpGate } from './gates/warm-up';

export type StepHandler<K extends StepKind = StepKind> = (run: DeploymentRun, step: Extract<DeploymentStep, { kind: K }>) => Promise<void>;
export type StepHandlers = { [K in StepKind]?: StepHandler<K> };

export interface StrategyDefinition {
  plan(ctx: PlanContext, targets: DeploymentTargets): DeploymentStep[];
  handlers: StepHandlers;
  /** Extra checks once the targets are known (e.g. A/B needs a stable version to compare with). */
  precondition?(targets: DeploymentTargets): string | null;
}

const DEFAULT_HANDLERS: StepHandlers = {
  validate: (run) => validateGate(run),
  approval: (run) => approvalGate(run),
  warmUp: (run) => warmUpGate(run),
  setWeight: async (run, step) => {
    await run.setStatus('Deploying', 'ShiftingTraffic');
    const applied = await applyForwardRoute(run, splitRoute(run, step.weight), describeStep(step));
    run.record(describeStep(step), 'Applied', `revision ${applied.revision} confirmed by ${applied.gateways} gateway(s)`);
    await run.publish();
  },
  promote: (run) => promoteStep(run),
  pause: async (run, step) => {
    await run.setPhase('KeepingPreviousWarm');
    await run.waitFor(step.durationMs);
  },
  rewarmPrevious: (run) => rewarmPreviousStep(run),
  retirePrevious: (run) => retirePreviousStep(run),
};

async function executePlan(run: DeploymentRun, handlers: StepHandlers): Promise<void> {
  for (let i = run.stepIndex; i < run.plan.length; i++) {
    const step = run.plan[i];
    run.beginStep(i);
    if (run.promoteRequested && isSkippedOnPromote(step)) {
      run.record(describeStep(step), 'Skipped', 'promote command');
      continue;
    }
    await run.checkpoint();
    const handler = (handlers[step.kind] ?? DEFAULT_HANDLERS[step.kind]) as StepHandler | undefined;
    if (!handler) throw ApplicationFailure.nonRetryable(`no handler for step ${step.kind}`, 'INTERNAL_ERROR');
    await handler(run, step);
  }
  run.stepIndex = run.plan.length;
}

async function start(run: DeploymentRun, strategy: StrategyDefinition): Promise<void> {
  run.tagSearchAttributes();
  await run.publish();
  const targets = await reads.resolveDeploymentTargets({ deploymentId: run.input.deploymentId, modelId: run.input.modelId, versionId: run.input.versionId, environment: run.input.environment });
  run.view.modelName = targets.modelName;
  run.view.version = targets.version;
  run.view.stable = targets.stable;
  run.servers = targets.servers;
  run.tagSearchAttributes();
  run.plan = strategy.plan({ hasStable: targets.stable !== null, approvalRequired: run.view.approval.required }, targets);
  run.record('start', 'Planned', `${run.plan.length} steps: ${run.plan.map(describeStep).join(' → ')}; stable ${targets.stable?.version ?? 'none'}`);
  const problem = targets.stable?.versionId === run.input.versionId ? `${targets.version} already serves ${run.input.environment}` : (strategy.precondition?.(targets) ?? null);
  if (problem) throw new DeploymentEnding('Failed', 'validation', problem);
}

/** How a run that promoted ends: Superseded when a later deployment took over during its bake window. */
type GoodStatus = 'Active' | 'Superseded';
const goodEnding = (run: DeploymentRun): GoodStatus => (run.supersede ? 'Superseded' : 'Active');

interface Ending {
  status: BadStatus | GoodStatus;
  trigger: DeploymentEnding['trigger'];
  reason: string;
  /** Rethrown after compensation: cancellation (so Temporal shows Cancelled) and failures. */
  rethrow?: Error;
}

function classify(run: DeploymentRun, err: unknown): Ending {
  if (err instanceof DeploymentEnding) return { status: err.status, trigger: err.trigger, reason: err.reason };
  if (isCancellation(err)) {
    if (run.stop?.kind === 'abort') return { status: 'Cancelled', trigger: 'abort', reason: `aborted by ${run.stop.reason}` };
    if (run.stop?.kind === 'rollback') return { status: 'RolledBack', trigger: 'rollback-command', reason: `rollback requested by ${run.stop.reason}` };
    return { status: 'Cancelled', trigger: 'cancellation', reason: 'the deployment workflow was cancelled', rethrow: err as Error };
  }
  const message = rootCause(err) ?? (err instanceof Error ? err.message : String(err));
  // Past retirement the candidate serves alone and is the active version: report, do not undo.
  if (run.compensation.stableRetired) return { status: goodEnding(run), trigger: 'failure', reason: `finished, but retiring the previous version failed: ${message}` };
  const wrapped = err instanceof ApplicationFailure ? err : ApplicationFailure.create({ message: `deployment failed: ${message}`, type: 'DEPLOYMENT_FAILED', nonRetryable: true, cause: err instanceof Error ? err : undefined });
  return { status: 'Failed', trigger: 'failure', reason: message, rethrow: wrapped };
}

const TERMINAL_PHASE = { Failed: 'Failed', RolledBack: 'RolledBack', Cancelled: 'Cancelled', Active: 'Active', Superseded: 'Superseded' } as const;

/** Runs a deployment from start (or from a continue-as-new snapshot) to its end. */
export async function runDeploymentWorkflow(input: DeploymentInput, strategy: StrategyDefinition, snapshot?: RunSnapshot): Promise<DeploymentResult> {
  const run = new DeploymentRun(input, snapshot);
  run.installHandlers();
  try {
    await run.forward.run(async () => {
      if (!snapshot) await start(run, strategy);
      await executePlan(run, strategy.handlers);
    });
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const ending = classify(run, err);
    log.info('deployment ending badly', { deploymentId: input.deploymentId, status: ending.status, trigger: ending.trigger, reason: ending.reason });
    await CancellationScope.nonCancellable(async () => {
      if (ending.status !== 'Active' && ending.status !== 'Superseded') await compensate(run, ending.trigger, ending.reason);
      await finish(run, ending.status, ending.reason);
    });
    if (ending.rethrow) throw ending.rethrow;
    return run.view;
  }
  await CancellationScope.nonCancellable(() => finish(run, goodEnding(run), null));
  return run.view;
}

async function finish(run: DeploymentRun, status: BadStatus | GoodStatus, reason: string | null): Promise<void> {
  run.view.completedAt = new Date(Date.now()).toISOString();
  run.view.errorMessage = reason;
  run.view.currentStep = null;
  if (status === 'Active' || status === 'Superseded') run.stepIndex = run.plan.length;
  const superseded = status === 'Superseded' ? `superseded by ${run.supersede?.supersededBy ?? 'a later deployment'}` : null;
  run.record('end', status, reason ?? superseded ?? 'deployment complete');
  await run.setStatus(status, TERMINAL_PHASE[status]);
  const event = endingEventType(run.view);
  if (event) notify(run, event);
  run.ended = true;
  await notificationsSettled(run);
  // Why wait: abort/rollback updates return the final view; let them finish before the run ends.
  await condition(allHandlersFinished);
}
