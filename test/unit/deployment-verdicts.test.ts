import { assessAbLook } from '../../domain/deployments/ab-test';
import type { MetricWindow } from '../../domain/deployments/analysis';
import { assessShadowComparison, type ShadowComparison } from '../../domain/deployments/shadow-comparison';
import { assessSmokeTest } from '../../domain/deployments/smoke-test';
import { summarizeValidation } from '../../domain/deployments/deployment-status';
import { nextLook, startSequentialTest } from '../../domain/statistics/sequential';

describe('assessSmokeTest', () => {
  it.each([
    ['passes', { samples: 100, validOutputs: 100, labelled: 100, correct: 92, baselineAccuracy: 0.95 }, 'Successful'],
    ['accuracy below baseline × 0.95', { samples: 100, validOutputs: 100, labelled: 100, correct: 90, baselineAccuracy: 0.95 }, 'Failed'],
    ['invalid outputs', { samples: 100, validOutputs: 99, labelled: 100, correct: 95, baselineAccuracy: 0.95 }, 'Failed'],
    ['no baseline: validity only', { samples: 10, validOutputs: 10, labelled: 0, correct: 0, baselineAccuracy: null }, 'Successful'],
    ['baseline but nothing labelled: couldn\'t measure', { samples: 10, validOutputs: 10, labelled: 0, correct: 0, baselineAccuracy: 0.9 }, 'Error'],
    ['no samples at all', { samples: 0, validOutputs: 0, labelled: 0, correct: 0, baselineAccuracy: 0.9 }, 'Error'],
  ] as const)('%s', (_n, result, phase) => {
    const v = assessSmokeTest(result);
    expect(v.phase).toBe(phase);
    expect(v.passed).toBe(phase === 'Successful');
  });
});

describe('assessShadowComparison', () => {
  const good: ShadowComparison = { samples: 2000, labelAgreement: 0.97, meanAbsoluteScoreDifference: 0.03, shadowRequests: 2000, shadowErrors: 2, primaryRequests: 2000, primaryErrors: 2, shadowP99LatencyMs: 110, primaryP99LatencyMs: 100, shadowMeanLatencyMs: 42, primaryMeanLatencyMs: 40 };
  const cfg = { comparisonSamples: 1000, predictionDifferenceThreshold: 0.1, latencyIncrease: 1.5, errorRateIncrease: 0.01 };
  it.each([
    ['agrees → Promote', good, false, 'Promote', 'Successful'],
    ['disagreement 15% > 10% → Reject', { ...good, labelAgreement: 0.85 }, false, 'Reject', 'Failed'],
    ['score difference too big → Reject', { ...good, meanAbsoluteScoreDifference: 0.2 }, false, 'Reject', 'Failed'],
    ['shadow 2× slower → Reject', { ...good, shadowP99LatencyMs: 200 }, false, 'Reject', 'Failed'],
    ['shadow errors +2 points → Reject', { ...good, shadowErrors: 42 }, false, 'Reject', 'Failed'],
    ['too few samples → keep collecting', { ...good, samples: 100 }, false, 'Collecting', 'Inconclusive'],
    ['too few samples when time is up → Reject (fail safe)', { ...good, samples: 100 }, true, 'Reject', 'Inconclusive'],
    ['invalid numbers → Error', { ...good, labelAgreement: Number.NaN }, false, 'Collecting', 'Error'],
  ] as const)('%s', (_n, report, timeUp, decision, phase) => {
    const v = assessShadowComparison(report, cfg, timeUp);
    expect(v.decision).toBe(decision);
    expect(v.phase).toBe(phase);
  });
});

describe('assessAbLook', () => {
  const arm = (labelled: number, correct: number, meanLatencyMs = 40, latencyStdDevMs: number | null = 10): MetricWindow => ({ requests: labelled, errors: 0, p99LatencyMs: 100, meanLatencyMs, labelled, correct, ...(latencyStdDevMs !== null && { latencyStdDevMs }) });
  const cfg = { minimumSamples: 1000, primaryMetric: 'accuracy' as const, significanceLevel: 0.05 };

  it('declares the candidate the winner when z crosses the boundary (doc example)', () => {
    const r = assessAbLook(arm(1000, 850), arm(1000, 900), cfg, startSequentialTest(0.05), false);
    expect(r.outcome).toBe('TreatmentWins');
    expect(r.report).toMatchObject({ informationFraction: 1, look: 1, underpowered: false });
    expect(r.report!.z).toBeGreaterThan(r.report!.boundary);
  });

  it('no difference at the final look (doc example: 880 vs 850 after earlier looks)', () => {
    let state = startSequentialTest(0.05);
    for (const t of [0.25, 0.5, 0.75]) state = nextLook(state, t)!.state;
    const r = assessAbLook(arm(1000, 850), arm(1000, 880), cfg, state, false);
    expect(r.outcome).toBe('NoDifference');
    expect(r.report!.z).toBeCloseTo(1.97, 1);
    expect(r.report!.boundary).toBeGreaterThan(2);
  });

  it('control wins when it is significantly better', () => {
    expect(assessAbLook(arm(1000, 900), arm(1000, 800), cfg, startSequentialTest(0.05), false).outcome).toBe('ControlWins');
  });

  it('continues while interim evidence is below the boundary', () => {
    const r = assessAbLook(arm(300, 240), arm(300, 255), cfg, startSequentialTest(0.05), false);
    expect(r.outcome).toBe('Continue');
    expect(r.state.looks).toHaveLength(1);
  });

  it('does not spend alpha without new information', () => {
    const first = assessAbLook(arm(300, 240), arm(300, 250), cfg, startSequentialTest(0.05), false);
    const again = assessAbLook(arm(302, 242), arm(302, 252), cfg, first.state, false);
    expect(again.outcome).toBe('Continue');
    expect(again.report).toBeNull();
    expect(again.state).toBe(first.state);
  });

  it('latency: Welch on means and standard deviations; lower latency wins', () => {
    const r = assessAbLook(arm(2000, 0, 40, 10), arm(2000, 0, 38, 10), { ...cfg, primaryMetric: 'latency' }, startSequentialTest(0.05), false);
    expect(r.outcome).toBe('TreatmentWins');
    expect(r.report!.effectSize.kind).toBe('cohensD');
    expect(r.report!.confidenceInterval.upper).toBeLessThan(0);
  });

  it('latency without standard deviations cannot be tested: Error (couldn\'t measure)', () => {
    const r = assessAbLook(arm(2000, 0, 40, null), arm(2000, 0, 38, null), { ...cfg, primaryMetric: 'latency' }, startSequentialTest(0.05), false);
    expect(r.outcome).toBe('Error');
  });

  it('ends with no difference when nothing was measurable by the end', () => {
    expect(assessAbLook(arm(0, 0), arm(0, 0), cfg, startSequentialTest(0.05), true).outcome).toBe('NoDifference');
  });
});

it('summarizeValidation passes only when every gate passed', () => {
  expect(summarizeValidation([{ name: 'a', passed: true, message: '' }], 't').passed).toBe(true);
  expect(summarizeValidation([{ name: 'a', passed: true, message: '' }, { name: 'b', passed: false, message: 'x' }], 't').passed).toBe(false);
  expect(summarizeValidation([], 't').passed).toBe(false);
});
