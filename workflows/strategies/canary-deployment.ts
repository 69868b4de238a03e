import { stepAlpha } from '../../domain/decisions/assess-window';
import { planCanary } from '../../domain/deployments/steps';
import { describeStep } from '../../domain/deployments/steps';
import type { DeploymentResult } from '../../domain/deployments/deployment-status';
import type { CanaryDeploymentInput } from '../deployment-input';
import { analysisStep } from '../gates/analysis-loop';
import { runDeploymentWorkflow } from '../run-deployment';

/**
 * Canary: shift traffic in steps (initialPercentage, + incrementStep …), analysing a
 * monitoringDuration window at each step against the thresholds; promote at the end, roll back
 * on a breach or on persistent inconclusiveness.
 */
export async function canaryDeployment(input: CanaryDeploymentInput): Promise<DeploymentResult> {
  const c = input.config;
  return runDeploymentWorkflow(input, {
    plan: (ctx) => planCanary(c, ctx),
    handlers: {
      analysis: async (run, step) => {
        await analysisStep(run, describeStep(step), step.durationMs, step.final, {
          thresholds: c.rollbackThresholds,
          minSamples: { requests: c.minSamplesPerStep, labelled: c.minLabelledSamplesPerStep },
          maxInconclusiveExtensions: c.maxInconclusiveExtensions,
          // Each step's window is its own test: the rollout's false-rollback budget is split over them.
          alpha: stepAlpha(run.plan.filter((s) => s.kind === 'analysis').length),
        });
      },
    },
  });
}
