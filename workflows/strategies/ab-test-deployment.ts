import { allHandlersFinished, condition, continueAsNew, isCancellation, workflowInfo } from '@temporalio/workflow';
import { assessAbLook } from '../../domain/deployments/ab-test';
import { assessWindow } from '../../domain/deployments/analysis';
import { describeStep, planAbTest, type DeploymentStep } from '../../domain/deployments/steps';
import { ratioSplit } from '../../domain/deployments/traffic-split';
import type { DeploymentResult } from '../../domain/deployments/deployment-status';
import { startSequentialTest } from '../../domain/statistics/sequential';
import { reads } from '../activity-stubs';
import type { AbCarryOver, AbTestDeploymentInput } from '../deployment-input';
import type { DeploymentRun } from '../deployment-run';
import { accuracyEvidence } from '../gates/analysis-loop';
import { DeploymentEnding } from '../gates/ending';
import { applyForwardRoute, splitRoute } from '../gates/routing';
import { runDeploymentWorkflow } from '../run-deployment';

const DEFAULT_LOOKS_PER_RUN = 100;

/**
 * A/B test: split traffic splitRatio to the candidate with sticky assignment, look at the data
 * every lookInterval, and stop when the primary metric's statistic crosses the group-sequential
 * boundary (alpha spending keeps the false-positive rate at significanceLevel despite repeated
 * looks) or when minimumSamples / duration is reached. The winner is promoted; if the control
 * wins or there is no difference, the control is kept (the candidate is rolled back). Guardrail
 * thresholds are checked at every look. Long tests continue as new, carrying the test state.
 */
export async function abTestDeployment(input: AbTestDeploymentInput): Promise<DeploymentResult> {
  const c = input.config;
  const split = ratioSplit(c.splitRatio);
  const carry = input.carryOver;
  let ab: Omit<AbCarryOver, 'run'> | null = carry ? { startedAt: carry.startedAt, deadline: carry.deadline, sequential: carry.sequential, looks: carry.looks } : null;

  async function experiment(run: DeploymentRun, step: Extract<DeploymentStep, { kind: 'experiment' }>): Promise<void> {
    await run.setStatus('Deploying', 'Experimenting');
    const label = describeStep(step);
    if (!ab) ab = { startedAt: Date.now(), deadline: Date.now() + step.durationMs, sequential: startSequentialTest(c.significanceLevel, c.spending), looks: 0 };
    const state = ab;
    let looksThisRun = 0;
    for (;;) {
      if ((await run.waitFor(Math.min(step.lookIntervalMs, Math.max(0, state.deadline - Date.now())))) === 'promoted') {
        run.view.abTest = { outcome: 'PromotedByCommand', report: run.view.abTest?.report ?? null, looks: state.looks };
        return;
      }
      const final = Date.now() >= state.deadline;
      const window = { from: new Date(state.startedAt).toISOString(), to: new Date(Date.now()).toISOString() };
      let windows;
      try {
        windows = await reads.readMetricWindows({ modelId: input.modelId, environment: input.environment, stable: { versionId: run.stable!.versionId, ...window }, candidate: { versionId: input.versionId, ...window } });
      } catch (err) {
        if (isCancellation(err)) throw err;
        run.record(label, 'Error', `metrics could not be read: ${err instanceof Error ? err.message : String(err)}`);
        if (final) throw new DeploymentEnding('RolledBack', 'experiment', 'the test ended and its metrics could not be read: keeping the control (fail safe)');
        continue;
      }
      const guard = assessWindow(windows.candidate, windows.stable, c.rollbackThresholds, { requests: c.guardrailMinSamples, labelled: c.guardrailMinSamples }, { accuracyEvidence: accuracyEvidence() });
      run.view.metrics = { ...window, stable: windows.stable, candidate: windows.candidate, assessment: guard };
      if (guard.decision === 'Rollback') throw new DeploymentEnding('RolledBack', 'threshold', `guardrail breached (${guard.breached.join(', ')}): ${guard.reasons.join('; ')}`);

      const look = assessAbLook(windows.stable, windows.candidate, c, state.sequential, final);
      state.sequential = look.state;
      if (look.report) state.looks = look.report.look;
      run.view.abTest = { outcome: look.outcome, report: look.report ?? run.view.abTest?.report ?? null, looks: state.looks };
      run.record(label, look.outcome, look.reason);
      if (look.outcome === 'TreatmentWins') return run.publish();
      if (look.outcome === 'ControlWins' || look.outcome === 'NoDifference') throw new DeploymentEnding('RolledBack', 'experiment', `A/B test kept the control: ${look.reason}`);
      if (look.outcome === 'Error' && final) throw new DeploymentEnding('RolledBack', 'experiment', `A/B test could not measure ${c.primaryMetric}: ${look.reason}`);
      await run.publish();

      looksThisRun += 1;
      if (workflowInfo().continueAsNewSuggested || looksThisRun >= (input.continueAsNewAfterLooks ?? DEFAULT_LOOKS_PER_RUN)) {
        // Why wait: a command being handled must finish before this run's history closes.
        await condition(allHandlersFinished);
        run.record(label, 'ContinueAsNew', `after ${state.looks} looks`);
        await continueAsNew<typeof abTestDeployment>({ ...input, carryOver: { ...state, run: run.snapshot() } });
      }
    }
  }

  return runDeploymentWorkflow(
    input,
    {
      plan: (ctx) => planAbTest(c, ctx, split.candidate),
      precondition: (targets) => (targets.stable ? null : 'an A/B test needs a serving version as control; use Canary or BlueGreen for a first deployment'),
      handlers: {
        setWeight: async (run, step) => {
          await run.setStatus('Deploying', 'ShiftingTraffic');
          const applied = await applyForwardRoute(run, splitRoute(run, step.weight, { sticky: { header: c.stickyHeader } }), describeStep(step));
          run.record(describeStep(step), 'Applied', `control ${100 - step.weight}% / candidate ${step.weight}%, sticky on ${c.stickyHeader} (revision ${applied.revision})`);
          await run.publish();
        },
        experiment,
      },
    },
    carry?.run,
  );
}

