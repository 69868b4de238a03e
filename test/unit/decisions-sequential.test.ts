import { assessWindow, type MetricWindow } from '../../domain/deployments/analysis';
import { assessWindowSequential, stepAlpha } from '../../domain/decisions/assess-window';
import { judgeAccuracy, judgeErrorRate, judgeLatency } from '../../domain/decisions/judge-metrics';
import { logDirichletMultinomial, logHistogramBayesFactor } from '../../domain/decisions/latency-distribution-test';
import { mixtureEvidence, mixtureHalfWidth, msprtLogStatistic } from '../../domain/decisions/mixture-sequential';
import { emptyHistogram } from '../../domain/metrics/histogram';
import { Random, logNormalBuckets } from '../../simulate/random';

const THRESHOLDS = { accuracyDrop: 0.05, latencyIncrease: 1.5, errorRateIncrease: 0.01 };
const A = 0.01 / 3;

describe('normal-mixture mSPRT and its confidence sequence', () => {
  it('matches the worked examples', () => {
    expect(mixtureHalfWidth(1e-4, 1e-4, 0.01)).toBeCloseTo(0.044505, 5);
    expect(msprtLogStatistic(0.03, 1e-4, 1e-4)).toBeCloseTo(0.5 * Math.log(0.5) + 2.25, 10);
  });

  it('rejects exactly when the interval excludes 0 (test and interval agree)', () => {
    const v = 1e-4;
    const w = mixtureHalfWidth(v, 1e-4, 0.01);
    for (const delta of [w * 0.999, w * 1.001]) {
      const e = mixtureEvidence(delta, v, 1e-4, 0.01);
      expect(e.statistic >= e.bound).toBe(e.interval[0] > 0);
    }
  });

  it('keeps its false-alarm rate under α when looked at after every batch (seeded, 400 runs × 60 looks)', () => {
    const rng = new Random(42);
    let alarms = 0;
    for (let run = 0; run < 400; run++) {
      let sum = 0;
      for (let look = 1; look <= 60; look++) {
        for (let i = 0; i < 20; i++) sum += rng.normal();
        const n = look * 20;
        if (mixtureEvidence(sum / n, 1 / n, 0.01, 0.05).interval[0] > 0 || mixtureEvidence(sum / n, 1 / n, 0.01, 0.05).interval[1] < 0) {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / 400).toBeLessThanOrEqual(0.05);
  });
});

describe('Dirichlet–multinomial sequential test on latency histograms', () => {
  it('matches the worked example', () => {
    expect(logDirichletMultinomial([10, 0, 0])).toBeCloseTo(-3.0445, 3);
    expect(logHistogramBayesFactor([0, 10, 0], [10, 0, 0])).toBeCloseTo(11.147, 2);
  });

  const histogram = (rng: Random, n: number, median: number) => rng.multinomial(n, logNormalBuckets(median, 0.4));

  it.each([
    ['the same distribution', 40, 'Successful'],
    ['a candidate 1.5× slower', 60, 'Failed'],
    ['a candidate 1.5× faster', 40 / 1.5, 'Successful'],
  ])('judges %s', (_name, candidateMedian, verdict) => {
    const rng = new Random(7);
    const control = histogram(rng, 5000, 40);
    const candidate = histogram(rng, 2000, candidateMedian);
    const j = judgeLatency({ histogram: control, n: 5000, meanMs: 0 }, { histogram: candidate, n: 2000, meanMs: 0 }, 1.5, A, 100);
    expect(j).toMatchObject({ verdict, test: 'dirichlet-multinomial-sequential', samples: { control: 5000, candidate: 2000 } });
    if (verdict === 'Failed') expect(j.statistic).toBeGreaterThanOrEqual(j.bound);
  });

  it('is Inconclusive below the minimum samples', () => {
    const h = emptyHistogram();
    h[10] = 30;
    expect(judgeLatency({ histogram: h, n: 30, meanMs: 0 }, { histogram: h, n: 30, meanMs: 0 }, 1.5, A, 100)).toMatchObject({ verdict: 'Inconclusive', interval: null });
  });
});

describe('proportion judgements (table)', () => {
  it.each([
    // control events/n, candidate events/n, verdict
    ['error rate, +1.5 points on 2000 each', 'errorRate', [10, 2000], [40, 2000], 'Failed'],
    ['error rate, equal on 20000 vs 6000', 'errorRate', [100, 20000], [30, 6000], 'Successful'],
    ['error rate, +0.1 point on 2000 each', 'errorRate', [10, 2000], [12, 2000], 'Inconclusive'],
    ['error rate, 0 control errors by chance in 710 (not a 0 % rate)', 'errorRate', [0, 710], [39, 6483], 'Inconclusive'],
    ['accuracy, 90 % vs 89.7 % on 3000 each', 'accuracy', [2700, 3000], [2690, 3000], 'Successful'],
    ['accuracy, 90 % vs 80 % on 4000 vs 500', 'accuracy', [3600, 4000], [400, 500], 'Failed'],
    ['accuracy, 95 % vs 85 % on 20 labels each (the CI incident)', 'accuracy', [19, 20], [17, 20], 'Inconclusive'],
  ] as const)('%s: %s', (_name, metric, [ce, cn], [ke, kn], verdict) => {
    const [judge, limit] = metric === 'errorRate' ? [judgeErrorRate, 0.01] : [judgeAccuracy, 0.05];
    const j = judge({ events: ce, n: cn }, { events: ke, n: kn }, limit, A, 10);
    expect(j.verdict).toBe(verdict);
    expect(j.samples).toEqual({ control: cn, candidate: kn });
    expect(j.interval![0]).toBeLessThan(j.estimate);
    expect(j.interval![1]).toBeGreaterThan(j.estimate);
  });
});

describe('assessWindowSequential against today\'s threshold rules', () => {
  const stable: MetricWindow = { requests: 20000, errors: 100, p99LatencyMs: 100, meanLatencyMs: 40, latencyStdDevMs: 15, labelled: 4000, correct: 3800 };
  const minimum = { requests: 100, labelled: 10 };

  it('does not roll back a good version on 20 labels (85 % vs 95 %): Inconclusive, where today\'s rule without evidence rolls back', () => {
    const few = { ...stable, requests: 6000, errors: 30, labelled: 20, correct: 17 };
    expect(assessWindow(few, stable, THRESHOLDS, minimum, { accuracyEvidence: false }).decision).toBe('Rollback');
    const a = assessWindowSequential(few, stable, THRESHOLDS, minimum, { alpha: stepAlpha(3) });
    expect(a.decision).toBe('Inconclusive');
    expect(a.checks.find((c) => c.metric === 'accuracy')?.evidence).toMatchObject({ verdict: 'Inconclusive', alpha: expect.closeTo(0.01 / 9, 6) });
  });

  it('does not roll back on 3 errors in 100 requests, which breaches today\'s +1 point threshold', () => {
    const noisy = { ...stable, requests: 100, errors: 3, labelled: 2000, correct: 1900 };
    expect(assessWindow(noisy, stable, THRESHOLDS, minimum).decision).toBe('Rollback');
    expect(assessWindowSequential(noisy, stable, THRESHOLDS, minimum).decision).toBe('Inconclusive');
  });

  it('rolls back a real regression today\'s rule passes: errors +0.9 point on 20000 requests', () => {
    const worse = { ...stable, errors: 280 };
    expect(assessWindow(worse, stable, THRESHOLDS, minimum).decision).not.toBe('Rollback');
    const a = assessWindowSequential(worse, stable, THRESHOLDS, minimum);
    expect(a).toMatchObject({ decision: 'Rollback', breached: ['errorRate'] });
  });

  it('promotes on the final look when every metric is within its tolerance, and marks an invalid window Error', () => {
    const same = { ...stable, requests: 6000, errors: 30, labelled: 2000, correct: 1900 };
    expect(assessWindowSequential(same, stable, THRESHOLDS, minimum, { final: true }).decision).toBe('Promote');
    expect(assessWindowSequential({ ...same, errors: Number.NaN }, stable, THRESHOLDS, minimum).phase).toBe('Error');
  });
});
