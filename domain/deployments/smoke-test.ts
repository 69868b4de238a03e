/** Blue-green smoke test verdict: green must answer validly and be about as accurate as its baseline. */
import type { AnalysisPhase } from './analysis';

export interface SmokeTestResult {
  /** Samples sent. */
  samples: number;
  /** Responses that matched the output schema. */
  validOutputs: number;
  /** Samples with a label (from the version's labelled sample set). */
  labelled: number;
  correct: number;
  /** The version's registered baseline accuracy, if it has one. */
  baselineAccuracy: number | null;
}

export interface SmokeTestVerdict {
  phase: AnalysisPhase;
  passed: boolean;
  accuracy: number | null;
  reasons: string[];
}

/**
 * Passes when every response is valid and, if the version has a baseline, accuracy ≥ baseline ×
 * minAccuracyRatio (0.95 by default). No samples run → Error (couldn't measure).
 * Example: 100 samples, 100 valid, 92/100 correct, baseline 0.95 → 0.92 ≥ 0.9025 → passed.
 */
export function assessSmokeTest(result: SmokeTestResult, minAccuracyRatio = 0.95): SmokeTestVerdict {
  if (result.samples <= 0) return { phase: 'Error', passed: false, accuracy: null, reasons: ['no smoke-test samples were run'] };
  const reasons: string[] = [];
  let phase: AnalysisPhase = 'Successful';
  if (result.validOutputs < result.samples) {
    phase = 'Failed';
    reasons.push(`${result.samples - result.validOutputs} of ${result.samples} responses were not valid outputs`);
  }
  const accuracy = result.labelled > 0 ? result.correct / result.labelled : null;
  if (result.baselineAccuracy !== null) {
    if (accuracy === null) {
      if (phase === 'Successful') phase = 'Error';
      reasons.push('the version has a baseline accuracy but no labelled samples were run');
    } else if (accuracy < result.baselineAccuracy * minAccuracyRatio) {
      phase = 'Failed';
      reasons.push(`accuracy ${accuracy.toFixed(4)} is below baseline ${result.baselineAccuracy} × ${minAccuracyRatio}`);
    }
  }
  if (reasons.length === 0) reasons.push(accuracy === null ? 'all outputs valid (no baseline accuracy to compare)' : `all outputs valid; accuracy ${accuracy.toFixed(4)}`);
  return { phase, passed: phase === 'Successful', accuracy, reasons };
}
