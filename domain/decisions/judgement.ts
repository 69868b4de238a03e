/**
 * What an automatic judgement records, so a person can see why: the verdict, the statistic and
 * the bound it was compared with, the interval the test allows for the difference, and the
 * sample sizes of both arms.
 */
export const VERDICTS = ['Successful', 'Inconclusive', 'Failed'] as const;
export type Verdict = (typeof VERDICTS)[number];

export type JudgedMetric = 'errorRate' | 'accuracy' | 'latency';

export interface Judgement {
  metric: JudgedMetric;
  verdict: Verdict;
  /** The test that decided (or would have): e.g. "msprt-normal-mixture", "dirichlet-multinomial-sequential". */
  test: string;
  /** The test's statistic (a mixture likelihood ratio / Bayes factor: evidence of a difference). */
  statistic: number;
  /** Reject "no difference" when statistic ≥ bound (1/α: Ville's inequality keeps the false-alarm rate ≤ α however often it looks). */
  bound: number;
  /** The estimated degradation (candidate worse than control is positive; units per metric). */
  estimate: number;
  /** Anytime-valid confidence interval for the degradation at level 1 − α (null before the minimum samples). */
  interval: [number, number] | null;
  /** Non-inferiority margin: Successful when the interval's upper end is below it. */
  margin: number;
  alpha: number;
  samples: { control: number; candidate: number };
  reason: string;
}

/** Rounds for display and storage (history entries stay small and readable). */
export const sig = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);
