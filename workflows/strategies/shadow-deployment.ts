import { isCancellation } from '@temporalio/workflow';
import { assessShadowComparison, type ShadowVerdict } from '../../domain/deployments/shadow-comparison';
import { describeStep, planShadow } from '../../domain/deployments/steps';
import type { DeploymentResult } from '../../domain/deployments/deployment-status';
import { reads } from '../activity-stubs';
import type { ShadowDeploymentInput } from '../deployment-input';
import { DeploymentEnding } from '../gates/ending';
import { applyForwardRoute } from '../gates/routing';
import { runDeploymentWorkflow } from '../run-deployment';

/**
 * Shadow: mirror shadowPercentage of requests to the candidate (users only ever get stable's
 * answers), compare label agreement, score difference and latency until comparisonSamples, then
 * switch at once (promote) or reject with the comparison report. Not enough samples by the end
 * of `duration` rejects (fail safe).
 */
export async function shadowDeployment(input: ShadowDeploymentInput): Promise<DeploymentResult> {
  const c = input.config;
  return runDeploymentWorkflow(input, {
    plan: (ctx) => planShadow(c, ctx),
    precondition: (targets) => (targets.stable ? null : 'a shadow deployment needs a serving version to compare with; use Canary or BlueGreen for a first deployment'),
    handlers: {
      mirror: async (run, step) => {
        await run.setStatus('Deploying', 'Shadowing');
        const applied = await applyForwardRoute(run, { pools: [{ versionId: run.stable!.versionId, weight: 100 }], shadow: { versionId: input.versionId, percentage: step.percentage }, sticky: null }, describeStep(step));
        run.record(describeStep(step), 'Mirroring', `revision ${applied.revision}`);
        await run.publish();
      },
      compare: async (run, step) => {
        const from = Date.now();
        const deadline = from + step.durationMs;
        for (;;) {
          if ((await run.waitFor(Math.min(step.checkIntervalMs, Math.max(0, deadline - Date.now())))) === 'promoted') return;
          const timeUp = Date.now() >= deadline;
          let verdict: ShadowVerdict;
          try {
            const report = await reads.readShadowComparison({ modelId: input.modelId, environment: input.environment, primaryVersionId: run.stable!.versionId, shadowVersionId: input.versionId, from: new Date(from).toISOString(), to: new Date(Date.now()).toISOString() });
            verdict = assessShadowComparison(report, c, timeUp);
          } catch (err) {
            if (isCancellation(err)) throw err;
            run.record(describeStep(step), 'Error', `comparison could not be read: ${err instanceof Error ? err.message : String(err)}`);
            if (timeUp) throw new DeploymentEnding('Failed', 'shadow-rejected', 'time is up and the comparison could not be read (fail safe)');
            continue;
          }
          run.view.shadow = verdict;
          run.record(describeStep(step), verdict.decision, verdict.reasons.join('; '));
          if (verdict.decision === 'Promote') return run.publish();
          // Why Failed, not RolledBack: mirrored traffic never reached users.
          if (verdict.decision === 'Reject') throw new DeploymentEnding('Failed', 'shadow-rejected', `shadow comparison rejected the candidate: ${verdict.reasons.join('; ')}`);
          await run.publish();
        }
      },
    },
  });
}
