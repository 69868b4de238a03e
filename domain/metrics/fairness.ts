/**
 * Per-group ground-truth counts for a version's sensitive attributes (fairness): for each
 * declared feature and each of its values, the labelled predictions, how many were right, how
 * many were predicted positive, and (regression) the sum of |error|. Sums, so buckets add up.
 */
export interface GroupCounters {
  /** Labelled predictions of the group. */
  n: number;
  /** Classification: right predictions. */
  correct: number;
  /** Classification: predictions of the positive class. */
  positive: number;
  /** Regression: sum of |prediction − truth|. */
  absErr: number;
}

/** attribute → group value (as a string) → counters. */
export type GroupCounts = Record<string, Record<string, GroupCounters>>;

/** Group values beyond this many per attribute are counted as "(other)": a continuous feature must not grow a bucket without bound. */
export const MAX_GROUPS_PER_ATTRIBUTE = 50;
export const OTHER_GROUP = '(other)';
export const MISSING_GROUP = '(missing)';

/**
 * The positive class for positive rates: the last of a binary classifier's classes (scikit-learn's
 * convention: ["legit", "fraud"] → "fraud"); none for other classifiers.
 */
export function positiveClass(classes: readonly (string | number)[] | undefined): string | number | undefined {
  return classes?.length === 2 ? classes[1] : undefined;
}

/** A feature value as its group name: strings as they are, others as JSON; absent → "(missing)". */
export function groupOf(value: unknown): string {
  if (value === undefined || value === null) return MISSING_GROUP;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * One labelled prediction's group counts. Example: attributes ["is_international"], features
 * {is_international: true}, a right prediction of the positive class →
 * {is_international: {true: {n: 1, correct: 1, positive: 1, absErr: 0}}}.
 */
export function observeGroups(
  attributes: readonly string[],
  features: unknown,
  o: { task: 'classification'; correct: boolean; positive: boolean } | { task: 'regression'; error: number },
): GroupCounts {
  const f = (typeof features === 'object' && features !== null ? features : {}) as Record<string, unknown>;
  const out: GroupCounts = {};
  for (const a of attributes) {
    out[a] = {
      [groupOf(f[a])]: o.task === 'classification' ? { n: 1, correct: o.correct ? 1 : 0, positive: o.positive ? 1 : 0, absErr: 0 } : { n: 1, correct: 0, positive: 0, absErr: Math.abs(o.error) },
    };
  }
  return out;
}

/** Adds `from` into `into`; past MAX_GROUPS_PER_ATTRIBUTE values, new ones go to "(other)". */
export function mergeGroupCounts(into: GroupCounts, from: GroupCounts | undefined): void {
  if (!from) return;
  for (const [a, groups] of Object.entries(from)) {
    const target = (into[a] ??= {});
    for (const [g, c] of Object.entries(groups)) {
      const key = g in target || Object.keys(target).length < MAX_GROUPS_PER_ATTRIBUTE ? g : OTHER_GROUP;
      const t = (target[key] ??= { n: 0, correct: 0, positive: 0, absErr: 0 });
      t.n += c.n ?? 0;
      t.correct += c.correct ?? 0;
      t.positive += c.positive ?? 0;
      t.absErr += c.absErr ?? 0;
    }
  }
}

export interface GroupMetrics {
  value: string;
  count: number;
  /** Classification: correct / count. */
  accuracy: number | null;
  /** Binary classification: predicted positive / count. */
  positiveRate: number | null;
  /** Regression: mean |error|. */
  mae: number | null;
}

export interface AttributeFairness {
  attribute: string;
  groups: GroupMetrics[];
  /** Highest minus lowest group accuracy (null with fewer than two groups that have one). */
  accuracyGap: number | null;
  /** Highest minus lowest positive rate: the demographic-parity difference. */
  positiveRateGap: number | null;
  maeGap: number | null;
}

const gap = (values: (number | null)[]): number | null => {
  const v = values.filter((x): x is number => x !== null);
  return v.length < 2 ? null : Math.max(...v) - Math.min(...v);
};

/**
 * Per-group metrics and the gap between groups, per attribute. Example: is_international
 * {true: n 4, correct 3, positive 2; false: n 6, correct 6, positive 0}, binary →
 * groups [{false, 6, accuracy 1, positiveRate 0}, {true, 4, 0.75, 0.5}], accuracyGap 0.25,
 * positiveRateGap 0.5.
 */
export function summarizeFairness(counts: GroupCounts, task: 'classification' | 'regression', binary: boolean): AttributeFairness[] {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([attribute, groups]) => {
      const list = Object.entries(groups)
        .filter(([, c]) => c.n > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([value, c]): GroupMetrics => ({
          value,
          count: c.n,
          accuracy: task === 'classification' ? c.correct / c.n : null,
          positiveRate: task === 'classification' && binary ? c.positive / c.n : null,
          mae: task === 'regression' ? c.absErr / c.n : null,
        }));
      return {
        attribute,
        groups: list,
        accuracyGap: gap(list.map((g) => g.accuracy)),
        positiveRateGap: gap(list.map((g) => g.positiveRate)),
        maeGap: gap(list.map((g) => g.mae)),
      };
    });
}
