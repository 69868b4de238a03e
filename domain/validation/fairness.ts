/** A version's declared fairness metadata: which input features are sensitive, and which class is "positive". */
import { z } from 'zod';

export const FairnessSchema = z.strictObject({
  /** Input features whose groups must see similar accuracy and positive rates (the bias gate). */
  sensitiveAttributes: z.array(z.string().min(1).max(200)).min(1).max(20),
  /** The class counted as a positive decision (default: the last of the output classes). */
  positiveClass: z.union([z.string().min(1).max(200), z.number()]).optional(),
});
export type Fairness = z.output<typeof FairnessSchema>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why declared fairness metadata does not fit the version's schemas, as (path, message) pairs
 * under `fairness` (empty when it fits): every sensitive attribute must name a feature of the
 * inputSchema, and positiveClass one of the outputSchema's classes.
 * Example: sensitiveAttributes ['gender'] with features {amount} → [{path: ['sensitiveAttributes', 0], message: 'names no feature of the inputSchema'}].
 */
export function fairnessProblems(fairness: Fairness, inputSchema: unknown, outputSchema: unknown): { path: (string | number)[]; message: string }[] {
  if (!isObject(inputSchema)) return [{ path: [], message: 'needs an inputSchema (an OIP-only version has no features to group by)' }];
  const properties = isObject(inputSchema.properties) ? inputSchema.properties : {};
  const problems: { path: (string | number)[]; message: string }[] = [];
  fairness.sensitiveAttributes.forEach((name, i) => {
    if (!Object.prototype.hasOwnProperty.call(properties, name)) problems.push({ path: ['sensitiveAttributes', i], message: `"${name}" names no feature of the inputSchema` });
  });
  if (fairness.positiveClass !== undefined) {
    const outputs = isObject(outputSchema) && isObject(outputSchema['x-hotswap-outputs']) ? outputSchema['x-hotswap-outputs'] : null;
    const classes = outputs && Array.isArray(outputs.classes) ? outputs.classes.map(String) : null;
    if (!classes) problems.push({ path: ['positiveClass'], message: 'needs a classification outputSchema (x-hotswap-outputs.classes)' });
    else if (!classes.includes(String(fairness.positiveClass))) problems.push({ path: ['positiveClass'], message: `is not one of the output classes ${classes.join(', ')}` });
  }
  return problems;
}
