import { accuracyDropPValue, assessWindow, unmeasuredWindow, worst, ANALYSIS_PHASES, type AnalysisPhase, type MetricWindow, type RollbackThresholds } from '../../domain/deployments/analysis';

const stable: MetricWindow = { requests: 1000, errors: 5, p99LatencyMs: 100, meanLatencyMs: 40, labelled: 200, correct: 180 };
const candidate: MetricWindow = { requests: 200, errors: 2, p99LatencyMs: 120, meanLatencyMs: 45, labelled: 60, correct: 53 };
const thresholds: RollbackThresholds = { accuracyDrop: 0.05, latencyIncrease: 1.5, errorRateIncrease: 0.01 };
const min = { requests: 100, labelled: 50 };

// The truth table of the decision, one row per case: [case, candidate, stable, thresholds, final, decision, phase, breached].
const rows: [string, MetricWindow, MetricWindow, RollbackThresholds, boolean, string, AnalysisPhase, string[]][] = [
  ['all checks pass', candidate, stable, thresholds, false, 'Continue', 'Successful', []],
  ['all pass on the final step', candidate, stable, thresholds, true, 'Promote', 'Successful', []],
  ['error rate +1.5 points > +1', { ...candidate, errors: 4 }, stable, thresholds, false, 'Rollback', 'Failed', ['errorRate']],
  ['error rate exactly +1 point passes', { ...candidate, errors: 3 }, stable, thresholds, false, 'Continue', 'Successful', []],
  ['p99 1.8× > 1.5×', { ...candidate, p99LatencyMs: 180 }, stable, thresholds, false, 'Rollback', 'Failed', ['p99Latency']],
  ['p99 exactly 1.5× passes', { ...candidate, p99LatencyMs: 150 }, stable, thresholds, false, 'Continue', 'Successful', []],
  ['mean latency 2× > 1.5×', { ...candidate, meanLatencyMs: 80 }, stable, thresholds, false, 'Rollback', 'Failed', ['meanLatency']],
  ['accuracy 11% relative drop > 5%', { ...candidate, correct: 48 }, stable, thresholds, false, 'Rollback', 'Failed', ['accuracy']],
  ['two breaches are both reported', { ...candidate, errors: 10, p99LatencyMs: 300 }, stable, thresholds, false, 'Rollback', 'Failed', ['errorRate', 'p99Latency']],
  ['candidate below minimum requests', { ...candidate, requests: 40, errors: 0 }, stable, thresholds, false, 'Inconclusive', 'Inconclusive', []],
  ['stable below minimum requests', candidate, { ...stable, requests: 50, errors: 0 }, thresholds, false, 'Inconclusive', 'Inconclusive', []],
  ['accuracy drop past the limit but not significant (42/50 vs 180/200, p 0.11) → wait', { ...candidate, labelled: 50, correct: 42 }, stable, thresholds, false, 'Inconclusive', 'Inconclusive', []],
  ['a not-yet-significant drop is never a promotion', { ...candidate, labelled: 50, correct: 42 }, stable, thresholds, true, 'Inconclusive', 'Inconclusive', []],
  ['the same drop on 40/50 is significant (p 0.026) → rollback', { ...candidate, labelled: 50, correct: 40 }, stable, thresholds, false, 'Rollback', 'Failed', ['accuracy']],
  ['too few labelled predictions', { ...candidate, labelled: 10, correct: 9 }, stable, thresholds, false, 'Inconclusive', 'Inconclusive', []],
  ['too few samples is never a pass, even on the final step', { ...candidate, requests: 40, errors: 0 }, stable, thresholds, true, 'Inconclusive', 'Inconclusive', []],
  ['a breach outweighs inconclusive accuracy (worst of)', { ...candidate, labelled: 10, correct: 9, p99LatencyMs: 400 }, stable, thresholds, false, 'Rollback', 'Failed', ['p99Latency']],
  ['invalid numbers: Error, not a pass and not a breach', { ...candidate, p99LatencyMs: Number.NaN }, stable, thresholds, false, 'Inconclusive', 'Error', []],
  ['errors > requests: Error', { ...candidate, errors: 500 }, stable, thresholds, false, 'Inconclusive', 'Error', []],
  ['correct > labelled: Error', { ...candidate, correct: 70 }, stable, thresholds, false, 'Inconclusive', 'Error', []],
  ['stable latency 0: ratio undefined → Error', candidate, { ...stable, p99LatencyMs: 0 }, thresholds, false, 'Inconclusive', 'Error', []],
  ['stable accuracy 0: relative drop undefined → Error', candidate, { ...stable, correct: 0 }, thresholds, false, 'Inconclusive', 'Error', []],
  ['a breach outweighs an Error (worst of)', { ...candidate, errors: 10 }, { ...stable, p99LatencyMs: 0 }, thresholds, false, 'Rollback', 'Failed', ['errorRate']],
  ['a disabled threshold is not checked', { ...candidate, p99LatencyMs: 900, meanLatencyMs: 900 }, stable, { ...thresholds, latencyIncrease: null }, false, 'Continue', 'Successful', []],
  ['no thresholds and enough traffic', candidate, stable, { accuracyDrop: null, latencyIncrease: null, errorRateIncrease: null }, false, 'Continue', 'Successful', []],
  ['no thresholds and too little traffic', { ...candidate, requests: 5, errors: 0 }, stable, { accuracyDrop: null, latencyIncrease: null, errorRateIncrease: null }, false, 'Inconclusive', 'Inconclusive', []],
];

describe('assessWindow truth table', () => {
  it.each(rows)('%s', (_name, c, s, t, final, decision, phase, breached) => {
    const r = assessWindow(c, s, t, min, { final });
    expect(r.decision).toBe(decision);
    expect(r.phase).toBe(phase);
    expect(r.breached).toEqual(breached);
    expect(r.reasons.length).toBeGreaterThan(0);
  });
});

describe('assessWindow details', () => {
  it('explains a breach with the numbers (worked example of the doc comment)', () => {
    const r = assessWindow({ ...candidate, p99LatencyMs: 180 }, stable, thresholds, min);
    expect(r.reasons).toEqual(['p99 latency 180 ms is 1.8× stable 100 ms (limit 1.5×)']);
    expect(r.checks.find((c) => c.metric === 'p99Latency')).toMatchObject({ candidate: 180, stable: 100, limit: 1.5, phase: 'Failed' });
  });

  it('a number minimum applies to requests and labelled predictions alike', () => {
    expect(assessWindow(candidate, stable, thresholds, 100).decision).toBe('Inconclusive');
    expect(assessWindow(candidate, stable, thresholds, 50).decision).toBe('Continue');
  });

  it('accuracy evidence: a pooled one-sided two-proportion test (17/20 vs 19/20 by hand: z 1.0541, p 0.1459)', () => {
    expect(accuracyDropPValue({ labelled: 20, correct: 17 }, { labelled: 20, correct: 19 })).toBeCloseTo(0.14592, 4);
    // Candidate better than stable: no evidence of a drop at all.
    expect(accuracyDropPValue({ labelled: 20, correct: 19 }, { labelled: 20, correct: 17 })).toBeCloseTo(1 - 0.14592, 4);
    // Every label agrees: the test is undefined, which is no evidence.
    expect(accuracyDropPValue({ labelled: 20, correct: 20 }, { labelled: 30, correct: 30 })).toBe(1);
  });

  it('says why a breach of the accuracy limit is not acted on yet, and acts on it without the evidence test', () => {
    const few = { ...candidate, labelled: 20, correct: 17 };
    const small = { ...stable, labelled: 20, correct: 19 };
    const r = assessWindow(few, small, thresholds, { requests: 100, labelled: 20 });
    expect(r.reasons).toEqual(['accuracy 85% is 10.53% below stable 95% (limit 5% relative), but not yet significant on 20 vs 20 labels (p = 0.1459 ≥ 0.05); waiting for more']);
    // Histories recorded before the evidence test replay with the old rule: the same window rolls back.
    expect(assessWindow(few, small, thresholds, { requests: 100, labelled: 20 }, { accuracyEvidence: false })).toMatchObject({ decision: 'Rollback', breached: ['accuracy'] });
  });

  it('an unreadable window is Error (couldn\'t measure), decided Inconclusive', () => {
    expect(unmeasuredWindow('timeout')).toMatchObject({ decision: 'Inconclusive', phase: 'Error', breached: [] });
  });
});

describe('worst()', () => {
  const order: AnalysisPhase[] = ['Successful', 'Inconclusive', 'Error', 'Failed'];
  it.each(ANALYSIS_PHASES.flatMap((a) => ANALYSIS_PHASES.map((b) => [a, b] as const)))('worst(%s, %s)', (a, b) => {
    expect(worst(a, b)).toBe(order[Math.max(order.indexOf(a), order.indexOf(b))]);
  });
  it('of nothing is Successful', () => {
    expect(worst()).toBe('Successful');
  });
});
