import { assessAccuracy, assessBias, assessLatency, assessMeasuredGates, assessMemory, groupStats, positiveClassOf, quantile } from '../../domain/validation/gates';
import { DEFAULT_VALIDATION_GATES, ValidationGatesSchema } from '../../domain/validation/gate-thresholds';
import { fairnessProblems } from '../../domain/validation/fairness';
import { overrideRefusal } from '../../domain/validation/override';
import { overrideGate, overridableFailures, summarizeValidation } from '../../domain/deployments/deployment-status';
import { parseStrategyConfig } from '../../domain/deployments/strategy-config-schemas';
import type { CandidateMeasurement, HoldoutRow } from '../../domain/validation/measurement';

const T = DEFAULT_VALIDATION_GATES;
const base = (over: Partial<CandidateMeasurement> = {}): CandidateMeasurement => ({
  notMeasured: null,
  server: 's1',
  sampleSource: 'samples.json',
  rows: [],
  stableMeasured: false,
  latencyMs: { candidate: [], stable: [] },
  candidateMemoryBytes: null,
  pool: [],
  declared: { candidate: { accuracy: null, inferenceLatencyMs: null }, stable: null },
  fairness: null,
  ...over,
});
/** n rows: the first `right` answered correctly by the candidate, the first `stableRight` by stable. */
const rows = (n: number, right: number, stableRight: number | null = null, groups: (i: number) => Record<string, string> = () => ({})): HoldoutRow[] =>
  Array.from({ length: n }, (_, i) => ({ label: 'a', candidate: i < right ? 'a' : 'b', stable: stableRight === null ? null : i < stableRight ? 'a' : 'b', groups: groups(i) }));

describe('quantile', () => {
  it.each([[[3, 1, 2], 0.5, 2], [[3, 1, 2, 10], 0.5, 2.5], [[5, 1, 4, 2, 3], 0.25, 2], [[1, 2], 0.25, 1.25], [[5], 0.25, 5]])('quantile(%j, %d) = %d', (xs, q, v) => expect(quantile(xs, q)).toBe(v));
});

describe('latency gate (lower quartiles of candidate and stable timed on the same server)', () => {
  const timed = (candidate: number[], stable: number[]) => base({ latencyMs: { candidate, stable } });
  it.each([
    ['within ×1.2', 'Passed', [1.1, 1.2, 1.15], [1, 1, 1]],
    ['over ×1.2 and over +0.5 ms', 'Failed', [1.6, 1.7, 1.65], [1, 1, 1]],
    ['over ×1.2 but within +0.5 ms (sub-ms jitter)', 'Passed', [0.3, 0.3, 0.3], [0.1, 0.1, 0.1]],
    ['sub-ms stable, candidate 1.4 ms', 'Failed', [1.4, 1.4, 1.4], [0.2, 0.2, 0.2]],
  ])('%s → %s', (_, outcome, c, s) => {
    const v = assessLatency(timed(c, s), T);
    expect(v.outcome).toBe(outcome);
    expect(v.passed).toBe(outcome === 'Passed');
    expect(v.overridable === true).toBe(outcome === 'Failed');
    expect(v.measured).toMatchObject({ candidateMs: quantile(c, 0.25), referenceMs: quantile(s, 0.25) });
  });
  it("a busy server's spikes do not decide: the lower quartile does", () => {
    const spiky = (calm: number) => [calm, calm, calm, calm, calm, 9, 9, 9];
    expect(assessLatency(timed([1, 1, 1, 9, 9, 9, 9, 9], spiky(1)), T).outcome).toBe('Passed');
    expect(assessLatency(timed(spiky(2), spiky(1)), { latencyIncrease: 1.2, latencyMinIncreaseMs: 0 }).outcome).toBe('Failed');
  });
  it('a configurable ratio', () => {
    expect(assessLatency(timed([3, 3, 3], [1, 1, 1]), { latencyIncrease: 4, latencyMinIncreaseMs: 0 }).outcome).toBe('Passed');
    expect(assessLatency(timed([3, 3, 3], [1, 1, 1]), { latencyIncrease: 2, latencyMinIncreaseMs: 0 }).outcome).toBe('Failed');
  });
  it('without a stable version timed: NotMeasured, showing the declared baseline; off when null', () => {
    const v = assessLatency(base({ latencyMs: { candidate: [0.2], stable: [] }, declared: { candidate: { accuracy: null, inferenceLatencyMs: 0.03 }, stable: null } }), T);
    expect(v).toMatchObject({ outcome: 'NotMeasured', passed: true, measured: { declaredBaselineMs: 0.03 } });
    expect(assessLatency(timed([9], [1]), { ...T, latencyIncrease: null }).outcome).toBe('NotMeasured');
    expect(assessLatency(base({ notMeasured: 'no live model server' }), T).message).toContain('no live model server');
  });
});

describe('accuracy gate', () => {
  it.each([
    ['stable measured on the same rows: 177/500 vs 422/500', 'Failed', base({ rows: rows(500, 177, 422), stableMeasured: true }), 0.844],
    ['stable measured: 420/500 vs 422/500', 'Passed', base({ rows: rows(500, 420, 422), stableMeasured: true }), 0.844],
    ['stable declared 0.9, candidate 0.85 (limit 0.855)', 'Failed', base({ rows: rows(100, 85), declared: { candidate: { accuracy: 0.85, inferenceLatencyMs: null }, stable: { accuracy: 0.9, inferenceLatencyMs: null } } }), 0.9],
    ['only the candidate declared 0.86, measured 0.85', 'Passed', base({ rows: rows(100, 85), declared: { candidate: { accuracy: 0.86, inferenceLatencyMs: null }, stable: null } }), 0.86],
  ])('%s → %s', (_, outcome, m, reference) => {
    const v = assessAccuracy(m, T);
    expect(v.outcome).toBe(outcome);
    expect(v.measured?.referenceAccuracy).toBeCloseTo(reference, 4);
  });
  it('no labelled rows or no baseline: NotMeasured; a tolerance of 0.5 lets 0.354 vs 0.844 pass', () => {
    expect(assessAccuracy(base(), T).outcome).toBe('NotMeasured');
    expect(assessAccuracy(base({ rows: rows(10, 5) }), T).outcome).toBe('NotMeasured');
    expect(assessAccuracy(base({ rows: rows(500, 177, 422), stableMeasured: true }), { accuracyTolerance: 0.6 }).outcome).toBe('Passed');
  });
});

describe('memory gate (the pool budget)', () => {
  const MiB = 2 ** 20;
  it.each([
    ['fits everywhere', 'Passed', [{ server: 'a', budgetBytes: 100 * MiB, inUseBytes: 50 * MiB }]],
    ['one server too full', 'Failed', [{ server: 'a', budgetBytes: 100 * MiB, inUseBytes: 10 * MiB }, { server: 'b', budgetBytes: 100 * MiB, inUseBytes: 95 * MiB }]],
    ['no budgets reported', 'NotMeasured', [{ server: 'a', budgetBytes: null, inUseBytes: 0 }]],
  ] as const)('%s → %s', (_, outcome, pool) => {
    const v = assessMemory(base({ candidateMemoryBytes: 12 * MiB, pool: [...pool] }), T);
    expect(v.outcome).toBe(outcome);
    if (outcome === 'Failed') expect(v.message).toContain('b: 95.0 MiB of 100.0 MiB in use');
  });
});

describe('bias gate', () => {
  const fairness = { sensitiveAttributes: ['intl'], positiveClass: 'fraud' };
  /** 40 rows per group; group "true" gets `pTrue` positive answers, "false" `pFalse`; all answers counted right when they equal the label. */
  const grouped = (pTrue: number, pFalse: number, wrongTrue = 0): HoldoutRow[] =>
    ['true', 'false'].flatMap((g) =>
      Array.from({ length: 40 }, (_, i) => {
        const answer = i < (g === 'true' ? pTrue : pFalse) ? 'fraud' : 'legit';
        const wrong = g === 'true' && i >= 40 - wrongTrue;
        return { label: wrong ? (answer === 'fraud' ? 'legit' : 'fraud') : answer, candidate: answer, stable: null, groups: { intl: g } };
      }),
    );
  it('per-group accuracy and positive rate', () => {
    expect(groupStats(grouped(12, 10), 'intl', 'fraud', 20)).toEqual([
      { attribute: 'intl', group: 'false', samples: 40, accuracy: 1, positiveRate: 0.25 },
      { attribute: 'intl', group: 'true', samples: 40, accuracy: 1, positiveRate: 0.3 },
    ]);
    expect(groupStats(grouped(12, 10), 'intl', 'fraud', 41)).toEqual([]);
  });
  it.each([
    ['parity 10/12 = 0.83, same accuracy', 'Passed', grouped(12, 10)],
    ['positive rates 2/40 vs 12/40: ratio 0.17', 'Failed', grouped(12, 2)],
    ['accuracy gap 30 % (12 of 40 wrong in one group)', 'Failed', grouped(10, 10, 12)],
  ])('%s → %s', (_, outcome, r) => {
    expect(assessBias(base({ rows: r, fairness }), T).outcome).toBe(outcome);
  });
  it('NotMeasured without declared attributes, too small groups, or switched off', () => {
    expect(assessBias(base({ rows: grouped(12, 2) }), T).message).toContain('declares no sensitive attributes');
    expect(assessBias(base({ rows: grouped(12, 2), fairness }), { bias: { ...T.bias!, minGroupSamples: 50 } }).outcome).toBe('NotMeasured');
    expect(assessBias(base({ rows: grouped(12, 2), fairness }), { bias: null }).outcome).toBe('NotMeasured');
  });
  it('the positive class: declared, else the last class', () => {
    expect(positiveClassOf(['legit', 'fraud'], undefined)).toBe('fraud');
    expect(positiveClassOf(['legit', 'fraud'], 'legit')).toBe('legit');
    expect(positiveClassOf(null, undefined)).toBeNull();
  });
});

describe('thresholds, fairness metadata, override', () => {
  it('every strategy takes validationGates with defaults; unknown fields and bad values refused', () => {
    expect(parseStrategyConfig('Canary', {}).validationGates).toEqual(DEFAULT_VALIDATION_GATES);
    expect(DEFAULT_VALIDATION_GATES).toMatchObject({ latencyIncrease: 1.2, accuracyTolerance: 0.05, memory: true, overrideTimeout: 'PT1H', bias: { maxAccuracyGap: 0.1, minPositiveRateRatio: 0.8 } });
    expect(parseStrategyConfig('Rolling', { validationGates: { latencyIncrease: null, bias: null } }).validationGates).toMatchObject({ latencyIncrease: null, bias: null, accuracyTolerance: 0.05 });
    const bad = ValidationGatesSchema.safeParse({ latencyIncrease: 0.5, bogus: 1, overrideTimeout: 'soon' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['', 'latencyIncrease', 'overrideTimeout']);
  });

  it('sensitive attributes must name features; positiveClass one of the classes', () => {
    const input = { type: 'object', properties: { amount: { type: 'number' }, intl: { type: 'boolean' } } };
    const output = { 'x-hotswap-outputs': { task: 'classification', classes: ['legit', 'fraud'] } };
    expect(fairnessProblems({ sensitiveAttributes: ['intl'] }, input, output)).toEqual([]);
    expect(fairnessProblems({ sensitiveAttributes: ['intl', 'gender'], positiveClass: 'maybe' }, input, output)).toEqual([
      { path: ['sensitiveAttributes', 1], message: '"gender" names no feature of the inputSchema' },
      { path: ['positiveClass'], message: 'is not one of the output classes legit, fraud' },
    ]);
    expect(fairnessProblems({ sensitiveAttributes: ['intl'] }, null, null)[0].message).toContain('needs an inputSchema');
  });

  it('an override: Admin only, with a reason, for a gate the deployment waits on; the report then passes', () => {
    const admin = { id: 'u1', username: 'alice', role: 'Admin' as const };
    expect(overrideRefusal({ by: admin, gate: 'latency', reason: 'known' }, ['latency'])).toBeNull();
    expect(overrideRefusal({ by: { ...admin, role: 'MLEngineer' }, gate: 'latency', reason: 'x' }, ['latency'])?.code).toBe('FORBIDDEN');
    expect(overrideRefusal({ by: admin, gate: 'latency', reason: ' ' }, ['latency'])?.code).toBe('VALIDATION_ERROR');
    expect(overrideRefusal({ by: admin, gate: 'accuracy', reason: 'x' }, ['latency'])?.code).toBe('CONFLICT');
    expect(overrideRefusal({ by: admin, gate: 'latency', reason: 'x' }, [])?.code).toBe('CONFLICT');

    const m = base({ latencyMs: { candidate: [2, 2], stable: [1, 1] }, rows: rows(100, 50, 90), stableMeasured: true });
    const report = summarizeValidation([{ name: 'model-loads', passed: true, message: 'ok' }, ...assessMeasuredGates(m, T)], '2026-01-01T00:00:00.000Z');
    expect(report.passed).toBe(false);
    expect(overridableFailures(report)).toEqual(['latency', 'accuracy']);
    const once = overrideGate(report, 'latency', { by: 'u1', byName: 'alice', reason: 'batch job', at: 'now' });
    expect(once.passed).toBe(false);
    expect(once.checks.find((c) => c.name === 'latency')).toMatchObject({ passed: true, outcome: 'Overridden', override: { byName: 'alice', reason: 'batch job' } });
    const twice = overrideGate(once, 'accuracy', { by: 'u1', byName: 'alice', reason: 'new labels', at: 'now' });
    expect(twice.passed).toBe(true);
    expect(overridableFailures(twice)).toEqual([]);
    expect(overrideGate(twice, 'model-loads', { by: 'u1', byName: 'alice', reason: 'x', at: 'now' })).toEqual(twice);
  });
});
