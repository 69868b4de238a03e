/**
 * One look of an A/B test: the primary metric's test statistic against the group-sequential
 * boundary of this look (domain/statistics/sequential.ts), so the false-positive rate stays at
 * the significance level however often the workflow looks.
 */
import type { MetricWindow } from './analysis';
import type { AbTestConfig } from './strategy-config-schemas';
import { nextLook, rejectsNull, type SequentialLook, type SequentialState } from '../statistics/sequential';
import { twoProportionZTest, welchTTest, type SampleSummary } from '../statistics/hypothesis-tests';
import { proportionDifferenceInterval } from '../statistics/confidence-intervals';
import { cohensD, cohensH } from '../statistics/effect-sizes';
import { upperNormalQuantile } from '../statistics/distributions';

export type AbOutcome = 'TreatmentWins' | 'ControlWins' | 'NoDifference' | 'Continue' | 'Error';

/** What is stored with the result: the numbers behind the verdict. Treatment is the candidate; control the stable version. */
export interface AbTestReport {
  metric: AbTestConfig['primaryMetric'];
  look: number;
  informationFraction: number;
  samples: { control: number; treatment: number };
  /** Accuracy (0..1) or mean latency (ms) of each arm. */
  control: number;
  treatment: number;
  /** treatment − control */
  difference: number;
  /** Nominal two-sided p-value at this look. */
  pValue: number;
  /** The statistic on the z scale (Welch's t mapped through its p-value). */
  z: number;
  boundary: number;
  nominalAlpha: number;
  alphaSpent: number;
  effectSize: { kind: 'cohensH' | 'cohensD'; value: number };
  /** Repeated confidence interval of the difference at this look (boundary as critical value). */
  confidenceInterval: { lower: number; upper: number; level: number };
  /** The test ended (time up) before reaching minimumSamples per arm. */
  underpowered: boolean;
}

export interface AbLookResult {
  outcome: AbOutcome;
  reason: string;
  state: SequentialState;
  report: AbTestReport | null;
}

type AbSettings = Pick<AbTestConfig, 'minimumSamples' | 'primaryMetric' | 'significanceLevel'>;

/** Why the metric could not be tested yet (`error`: never will be, with these data — couldn't measure). */
interface Unmeasured {
  problem: string;
  error: boolean;
}

interface Measured {
  n: number;
  z: number;
  pValue: number;
  control: number;
  treatment: number;
  effectSize: AbTestReport['effectSize'];
  interval: (look: SequentialLook) => { lower: number; upper: number };
  treatmentBetter: boolean;
}

function measureAccuracy(control: MetricWindow, treatment: MetricWindow): Measured | Unmeasured {
  if (control.labelled < 1 || treatment.labelled < 1) return { problem: 'no labelled predictions yet in one of the arms', error: false };
  const r = twoProportionZTest(treatment.correct, treatment.labelled, control.correct, control.labelled);
  return {
    n: Math.min(control.labelled, treatment.labelled),
    z: Number.isNaN(r.z) ? 0 : r.z,
    pValue: r.pValue,
    control: r.pB,
    treatment: r.pA,
    effectSize: { kind: 'cohensH', value: cohensH(r.pA, r.pB) },
    interval: (look) => proportionDifferenceInterval(treatment.correct, treatment.labelled, control.correct, control.labelled, 1 - look.nominalAlpha, look.boundary),
    treatmentBetter: r.pA > r.pB,
  };
}

function measureLatency(control: MetricWindow, treatment: MetricWindow): Measured | Unmeasured {
  if (control.latencyStdDevMs === undefined || treatment.latencyStdDevMs === undefined) return { problem: "the metric window has no latency standard deviation (needed by Welch's t-test)", error: true };
  if (control.requests < 2 || treatment.requests < 2) return { problem: 'fewer than two requests in one of the arms', error: false };
  const c: SampleSummary = { n: control.requests, mean: control.meanLatencyMs, variance: control.latencyStdDevMs ** 2 };
  const t: SampleSummary = { n: treatment.requests, mean: treatment.meanLatencyMs, variance: treatment.latencyStdDevMs ** 2 };
  if (c.variance === 0 && t.variance === 0) return { problem: 'latency has no variance in either arm', error: true };
  const r = welchTTest(t, c);
  const z = Math.sign(r.t) * upperNormalQuantile(r.pValue / 2);
  return {
    n: Math.min(c.n, t.n),
    z,
    pValue: r.pValue,
    control: c.mean,
    treatment: t.mean,
    effectSize: { kind: 'cohensD', value: cohensD(t, c) },
    interval: (look) => ({ lower: r.meanDifference - look.boundary * r.standardError, upper: r.meanDifference + look.boundary * r.standardError }),
    treatmentBetter: t.mean < c.mean,
  };
}

/**
 * Takes one look. Information is t = min(samples per arm) / minimumSamples (labelled predictions
 * for accuracy, requests for latency). Outcomes:
 * - TreatmentWins / ControlWins: |z| crossed this look's boundary; the better arm wins
 *   (higher accuracy, lower mean latency);
 * - NoDifference: the final look (t reached 1, or `final` because the duration is over) did not cross;
 * - Continue: not final and not crossed, or too little new information for a look;
 * - Error: the metric cannot be tested (e.g. no latency variance data) — couldn't measure.
 *
 * Example: minimumSamples 1000, accuracy 880/1000 vs 850/1000 at the final look → z ≈ 1.97,
 * boundary ≈ 2.0 after earlier looks → NoDifference; with 900/1000 → z ≈ 3.4 → TreatmentWins.
 */
export function assessAbLook(control: MetricWindow, treatment: MetricWindow, config: AbSettings, state: SequentialState, final: boolean): AbLookResult {
  const measured = config.primaryMetric === 'accuracy' ? measureAccuracy(control, treatment) : measureLatency(control, treatment);
  if ('problem' in measured) {
    if (final) return { outcome: 'NoDifference', reason: `test ended without a measurable ${config.primaryMetric}: ${measured.problem}`, state, report: null };
    return { outcome: measured.error ? 'Error' : 'Continue', reason: measured.problem, state, report: null };
  }
  const information = measured.n / config.minimumSamples;
  const next = nextLook(state, information, { final });
  if (!next) {
    const reason = final ? 'test ended with no new information since the last look; no significant difference' : `information ${information.toFixed(3)} has not grown enough since the last look`;
    return { outcome: final ? 'NoDifference' : 'Continue', reason, state, report: null };
  }
  const { look } = next;
  const interval = measured.interval(look);
  const report: AbTestReport = {
    metric: config.primaryMetric,
    look: next.state.looks.length,
    informationFraction: look.informationFraction,
    samples: config.primaryMetric === 'accuracy' ? { control: control.labelled, treatment: treatment.labelled } : { control: control.requests, treatment: treatment.requests },
    control: measured.control,
    treatment: measured.treatment,
    difference: measured.treatment - measured.control,
    pValue: measured.pValue,
    z: measured.z,
    boundary: look.boundary,
    nominalAlpha: look.nominalAlpha,
    alphaSpent: look.cumulativeAlpha,
    effectSize: measured.effectSize,
    confidenceInterval: { ...interval, level: 1 - config.significanceLevel },
    underpowered: look.final && information < 1,
  };
  const stats = `z = ${measured.z.toFixed(3)}, boundary ${look.boundary.toFixed(3)}, p = ${measured.pValue.toPrecision(3)}, look ${report.look} at information ${look.informationFraction.toFixed(3)}`;
  if (rejectsNull(measured.z, look)) {
    const outcome: AbOutcome = measured.treatmentBetter ? 'TreatmentWins' : 'ControlWins';
    return { outcome, reason: `${outcome === 'TreatmentWins' ? 'candidate' : 'control'} is better on ${config.primaryMetric} (${stats})`, state: next.state, report };
  }
  if (look.final) return { outcome: 'NoDifference', reason: `no significant difference in ${config.primaryMetric} (${stats})${report.underpowered ? '; fewer samples than minimumSamples' : ''}`, state: next.state, report };
  return { outcome: 'Continue', reason: `not significant yet (${stats})`, state: next.state, report };
}
