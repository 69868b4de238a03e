/**
 * Model quality from ground truth: accuracy for classification, MAE and RMSE for regression,
 * and how predicted labels/values are read from a logged prediction.
 */

/** correct / labelled, or null without labels. Example: accuracy(422, 500) === 0.844. */
export function accuracy(correct: number, labelled: number): number | null {
  return labelled > 0 ? correct / labelled : null;
}

/** Σ|error| / n, or null without labels. Example: errors 1, -3 → 2. */
export function meanAbsoluteError(absErrSum: number, n: number): number | null {
  return n > 0 ? absErrSum / n : null;
}

/** √(Σerror² / n), or null without labels. Example: errors 1, -3 → √5. */
export function rootMeanSquaredError(sqErrSum: number, n: number): number | null {
  return n > 0 ? Math.sqrt(sqErrSum / n) : null;
}

type Label = string | number;

/** A logged prediction's body: the prediction itself, or a response that carries it under `prediction`. */
function predictionBody(outputs: unknown): Record<string, unknown> | undefined {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return undefined;
  const o = outputs as Record<string, unknown>;
  if ('label' in o || 'value' in o) return o;
  const inner = o.prediction;
  if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) return inner as Record<string, unknown>;
  return undefined;
}

/** The predicted class of a classification prediction ({label, probabilities}), if any. */
export function predictedLabel(outputs: unknown): Label | undefined {
  const label = predictionBody(outputs)?.label;
  return typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label)) ? label : undefined;
}

/** The predicted value of a regression prediction ({value}), if any. */
export function predictedValue(outputs: unknown): number | undefined {
  const value = predictionBody(outputs)?.value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Labels compare by their string form, so class 3 and "3" are the same class. */
export function sameLabel(a: Label, b: Label): boolean {
  return String(a) === String(b);
}

/** The declared class equal to `label` (by string form), or undefined when it is not a class. */
export function matchClass(label: Label, classes: readonly Label[]): Label | undefined {
  const s = String(label);
  return classes.find((c) => String(c) === s);
}
