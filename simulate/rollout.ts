/**
 * One simulated canary rollout, judged step by step exactly as the canary workflow does
 * (workflows/gates/analysis-loop.ts): each step's window is looked at when it ends; an
 * Inconclusive look extends it, up to maxInconclusiveExtensions; then
 * - today's rules ("legacy": assessWindow, each step's own window) roll back (fail safe);
 * - the anytime-valid rules (assessWindowSequential, α split over the steps) hold the rollout
 *   for a person: it is neither promoted nor rolled back.
 * Both read each step's own window (growing with its extensions). A window spanning steps would
 * mix traffic weights over time: under drift that is Simpson's paradox (the simulator's drift
 * scenario rolled a healthy candidate back every time when one window spanned all steps).
 */
import { assessWindow, type MinSamples, type RollbackThresholds } from '../domain/deployments/analysis';
import { assessWindowSequential, stepAlpha } from '../domain/decisions/assess-window';
import { canaryWeights } from '../domain/deployments/steps';
import type { MetricStream } from './metric-stream';

export type RuleSet = 'legacy' | 'anytime-valid';
export type Outcome = 'promoted' | 'rolled-back' | 'rolled-back-inconclusive' | 'held';

export interface CanarySettings {
  initialPercentage: number;
  incrementStep: number;
  monitoringMinutes: number;
  maxInconclusiveExtensions: number;
  thresholds: RollbackThresholds;
  minSamples: MinSamples;
}

export interface RolloutResult {
  outcome: Outcome;
  /** Minutes from the first traffic step to the decision. */
  minutes: number;
}

export function simulateRollout(stream: MetricStream, rules: RuleSet, c: CanarySettings): RolloutResult {
  const weights = canaryWeights(c.initialPercentage, c.incrementStep);
  const alpha = stepAlpha(weights.length);
  for (let step = 0; step < weights.length; step++) {
    const final = step === weights.length - 1;
    const stepFrom = stream.now;
    for (let extensions = 0; ; extensions++) {
      for (let m = 0; m < c.monitoringMinutes; m++) stream.advance(weights[step]);
      const to = stream.now;
      const w = stream.windows(stepFrom, to);
      const a =
        rules === 'legacy'
          ? assessWindow(w.candidate, w.stable, c.thresholds, c.minSamples, { final, accuracyEvidence: true })
          : assessWindowSequential(w.candidate, w.stable, c.thresholds, c.minSamples, { final, alpha });
      if (a.decision === 'Rollback') return { outcome: 'rolled-back', minutes: stream.now };
      if (a.decision !== 'Inconclusive') break;
      if (extensions >= c.maxInconclusiveExtensions) return { outcome: rules === 'legacy' ? 'rolled-back-inconclusive' : 'held', minutes: stream.now };
    }
  }
  return { outcome: 'promoted', minutes: stream.now };
}
