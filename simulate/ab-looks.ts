/**
 * A/B false positives under continuous looks: two identical versions, a look every few minutes
 * through the A/B strategy's own decision (assessAbLook: group-sequential alpha spending), and
 * for reference the same z-test read at every look without correction (naive peeking).
 */
import { assessAbLook } from '../domain/deployments/ab-test';
import { startSequentialTest } from '../domain/statistics/sequential';
import { twoProportionZTest } from '../domain/statistics/hypothesis-tests';
import { upperNormalQuantile } from '../domain/statistics/distributions';
import type { MetricStream } from './metric-stream';

export interface AbSettingsForSimulation {
  minimumSamples: number;
  significanceLevel: number;
  durationMinutes: number;
  lookEveryMinutes: number;
}

/** True when the run declared a winner (a false positive: the versions are identical). */
export function simulateAbTest(stream: MetricStream, s: AbSettingsForSimulation): { sequential: boolean; naive: boolean } {
  let state = startSequentialTest(s.significanceLevel, 'obrien-fleming');
  let sequential = false;
  let naive = false;
  let sequentialDone = false;
  const critical = upperNormalQuantile(s.significanceLevel / 2);
  for (let minute = 1; minute <= s.durationMinutes && !(sequentialDone && naive); minute++) {
    stream.advance(50);
    if (minute % s.lookEveryMinutes !== 0 && minute !== s.durationMinutes) continue;
    const w = stream.windows(0, stream.now);
    const final = minute === s.durationMinutes;
    if (!sequentialDone) {
      const look = assessAbLook(w.stable, w.candidate, { minimumSamples: s.minimumSamples, primaryMetric: 'accuracy', significanceLevel: s.significanceLevel }, state, final);
      state = look.state;
      if (look.outcome === 'TreatmentWins' || look.outcome === 'ControlWins') sequential = true;
      if (look.outcome !== 'Continue' && look.outcome !== 'Error') sequentialDone = true;
    }
    const z = twoProportionZTest(w.stable.correct, w.stable.labelled, w.candidate.correct, w.candidate.labelled).z;
    if (Number.isFinite(z) && Math.abs(z) >= critical) naive = true;
  }
  return { sequential, naive };
}
