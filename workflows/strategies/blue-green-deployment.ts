import { assessSmokeTest } from '../../domain/deployments/smoke-test';
import { describeStep, planBlueGreen } from '../../domain/deployments/steps';
import type { DeploymentResult } from '../../domain/deployments/deployment-status';
import { reads } from '../activity-stubs';
import type { BlueGreenDeploymentInput } from '../deployment-input';
import { analysisStep } from '../gates/analysis-loop';
import { DeploymentEnding } from '../gates/ending';
import { applyForwardRoute, splitRoute } from '../gates/routing';
import { runDeploymentWorkflow } from '../run-deployment';

/**
 * Blue-green: warm green everywhere, smoke-test it with labelled samples, switch all traffic at
 * once, watch a post-switch window (green after the switch vs blue before it), make green
 * active, keep blue warm for keepBlueDuration (instant rollback), then retire blue.
 */
export async function blueGreenDeployment(input: BlueGreenDeploymentInput): Promise<DeploymentResult> {
  const c = input.config;
  let switchedAt = 0;
  return runDeploymentWorkflow(input, {
    plan: (ctx) => planBlueGreen(c, ctx),
    handlers: {
      smokeTest: async (run, step) => {
        await run.setPhase('SmokeTesting');
        const result = await reads.runSmokeTest({ deploymentId: input.deploymentId, modelId: input.modelId, versionId: input.versionId, samples: step.samples });
        const verdict = assessSmokeTest(result, c.smokeTestMinAccuracyRatio);
        run.view.smokeTest = verdict;
        run.record(describeStep(step), verdict.passed ? 'Passed' : verdict.phase, verdict.reasons.join('; '));
        if (!verdict.passed) throw new DeploymentEnding('Failed', 'smoke-test', `smoke test ${verdict.phase === 'Error' ? 'could not run' : 'failed'}: ${verdict.reasons.join('; ')}`);
        await run.publish();
      },
      setWeight: async (run, step) => {
        await run.setStatus('Deploying', 'ShiftingTraffic');
        const applied = await applyForwardRoute(run, splitRoute(run, step.weight), 'switch to green');
        switchedAt = Date.now();
        run.record(describeStep(step), 'Switched', `all traffic on ${run.view.version} (revision ${applied.revision})`);
        await run.publish();
      },
      analysis: async (run, step) => {
        await analysisStep(
          run,
          describeStep(step),
          step.durationMs,
          step.final,
          { thresholds: c.rollbackThresholds, minSamples: { requests: c.minSamples, labelled: c.minLabelledSamples }, maxInconclusiveExtensions: c.maxInconclusiveExtensions },
          // Blue gets no traffic after the switch: compare with blue's window of the same length before it.
          (from, to) => ({ from: from - (to - from), to: from }),
          switchedAt || undefined,
        );
      },
    },
  });
}
