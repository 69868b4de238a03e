import { assertInputSchema, assertOutputSchema, FeatureSchemaError } from '../feature-schema';

/** What a version's predictions are explained by: its named features and the output explained. */
export interface ExplainableVersion {
  /** Feature names in tensor column order. */
  features: string[];
  task: 'classification' | 'regression';
}

/**
 * Whether a version can be explained feature by feature: it needs a tabular feature schema
 * (`x-hotswap-tensor.encoding` "dense" with named features) and an output schema. Returns
 * the reason otherwise. Example: the sentiment example (one string feature) → "is not tabular".
 */
export function explainableVersion(inputSchema: unknown, outputSchema: unknown): ExplainableVersion | { problem: string } {
  if (inputSchema === null || inputSchema === undefined || outputSchema === null || outputSchema === undefined)
    return { problem: 'has no feature schema (OIP-only): explanations need named tabular features' };
  try {
    const input = assertInputSchema(inputSchema);
    const outputs = assertOutputSchema(outputSchema)['x-hotswap-outputs'];
    const tensor = input['x-hotswap-tensor'];
    if (tensor.encoding !== 'dense') return { problem: `is not tabular (its input is ${tensor.encoding}-encoded): explanations need named tabular features` };
    return { features: [...tensor.order], task: outputs.task };
  } catch (e) {
    if (e instanceof FeatureSchemaError) return { problem: `has an unusable feature schema: ${e.message}` };
    throw e;
  }
}

/**
 * The number an explanation explains, from a model-server prediction: for a classifier the
 * probability of `explainedClass` (the class predicted for x), for a regression the value.
 * Example: {label: "fraud", probabilities: {legit: 0.3, fraud: 0.7}}, class "fraud" → 0.7.
 */
export function explainedValue(prediction: unknown, task: ExplainableVersion['task'], explainedClass: string | undefined): number {
  const p = prediction as { value?: unknown; probabilities?: Record<string, unknown> } | null;
  const v = task === 'regression' ? p?.value : explainedClass === undefined ? undefined : p?.probabilities?.[explainedClass];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`prediction has no ${task === 'regression' ? 'value' : `probability for ${explainedClass}`}`);
  return v;
}
