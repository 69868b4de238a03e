import { coalitionValuesOf, explanationRows, seededRandom } from './explanation-rows';
import { planCoalitions, solveKernelShap, type CoalitionPlan } from './kernel-shap';

type Row = Readonly<Record<string, unknown>>;

/** The `explanation` field of an explained prediction. */
export interface Explanation {
  method: 'kernel-shap';
  /** True when every coalition was evaluated (exact Shapley values of the interventional game). */
  exact: boolean;
  /** What is explained: the predicted class's probability, or the regression value. */
  output: string;
  /** E[f] over the background rows; baseValue + Σ attributions = value. */
  baseValue: number;
  value: number;
  attributions: Record<string, number>;
  /** Coalitions evaluated and background rows each was averaged over. */
  samples: number;
  background: number;
  /** Rows sent to the model in the one batch call. */
  modelRows: number;
}

/** The work of one explanation: the rows for the model, and how to read its answers back. */
export interface ExplanationJob {
  rows: Record<string, unknown>[];
  finish(outputs: readonly number[], output: string): Explanation;
}

/**
 * Plans a KernelSHAP explanation of `x` against `background` (exact when 2^m − 2 ≤
 * maxCoalitions, else sampled with a generator seeded by `seed`): the rows to send in one batch
 * call, then `finish` with the explained number of each row's prediction, in order.
 */
export function planExplanation(a: { features: readonly string[]; x: Row; background: readonly Row[]; maxCoalitions: number; seed: number }): ExplanationJob {
  const m = a.features.length;
  const plan: CoalitionPlan = planCoalitions(m, a.maxCoalitions, seededRandom(a.seed));
  const rows = explanationRows(a.features, a.x, a.background, plan);
  return {
    rows,
    finish(outputs, output) {
      const v = coalitionValuesOf(outputs, a.background.length, plan.coalitions.length);
      const phi = solveKernelShap({ ...v, plan, m });
      const attributions: Record<string, number> = {};
      a.features.forEach((f, i) => (attributions[f] = phi[i]));
      return {
        method: 'kernel-shap',
        exact: plan.exact,
        output,
        baseValue: v.baseValue,
        value: v.value,
        attributions,
        samples: plan.coalitions.length,
        background: a.background.length,
        modelRows: rows.length,
      };
    },
  };
}
