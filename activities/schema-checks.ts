/**
 * Pure checks the validation and smoke-test activities share: is an answer a valid output of
 * the version's outputSchema, and does a candidate accept what the stable version accepts.
 * (Pure functions: candidates for domain/ once the deployments domain settles.)
 */
import { assertInputSchema, assertOutputSchema, FeatureSchemaError } from '../domain/feature-schema';
import type { OutputExtension, PropertySchema } from '../domain/feature-schema';
import { matchClass } from '../domain/metrics/quality';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isProbability = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= -1e-6 && v <= 1 + 1e-6;

/** The outputs extension of a schema, or null when the schema does not follow the convention. */
export function outputsOf(outputSchema: unknown): OutputExtension | null {
  try {
    return assertOutputSchema(outputSchema)['x-hotswap-outputs'];
  } catch {
    return null;
  }
}

/**
 * Why `prediction` (the `prediction` of a native predict answer) is not a valid output of a
 * version with these outputs, or null when it is valid.
 * - classification: `{label, probabilities}` with label one of the classes and every class's
 *   probability in [0, 1], summing to 1 (± 0.01);
 * - regression: `{value}` finite.
 * Example: classes [legit, fraud], {label: 'maybe', ...} → 'label "maybe" is not one of legit, fraud'.
 */
export function predictionProblem(prediction: unknown, outputs: OutputExtension): string | null {
  if (!isObject(prediction)) return 'the prediction is not an object';
  if (outputs.task === 'regression') {
    const v = prediction.value;
    return typeof v === 'number' && Number.isFinite(v) ? null : `value ${JSON.stringify(v)} is not a finite number`;
  }
  const label = prediction.label;
  if ((typeof label !== 'string' && typeof label !== 'number') || matchClass(label, outputs.classes) === undefined)
    return `label ${JSON.stringify(label)} is not one of ${outputs.classes.join(', ')}`;
  const p = prediction.probabilities;
  if (!isObject(p)) return 'probabilities are missing';
  let sum = 0;
  for (const c of outputs.classes) {
    const v = p[String(c)];
    if (!isProbability(v)) return `probability of ${String(c)} is ${JSON.stringify(v)}, not in [0, 1]`;
    sum += v;
  }
  if (Math.abs(sum - 1) > 0.01) return `probabilities sum to ${sum.toFixed(4)}, not 1`;
  return null;
}

const sameType = (a: PropertySchema, b: PropertySchema) => a.type === b.type || (a.type === 'integer' && b.type === 'number');

/**
 * Why the candidate's schemas are not compatible with the stable version's (empty when they are):
 * - every feature stable requires exists in the candidate with the same type (an integer
 *   feature may become a number), and an enum keeps every value stable accepted;
 * - the candidate requires nothing stable did not accept (callers do not send it);
 * - the output has the same task and, for classification, the same classes.
 * Example: stable requires amount:number, candidate has amount:string → ['input feature amount is number in the stable version, string in the candidate'].
 */
export function schemaCompatibilityProblems(candidate: { inputSchema: unknown; outputSchema: unknown }, stable: { inputSchema: unknown; outputSchema: unknown }): string[] {
  const problems: string[] = [];
  let cin, sin;
  try {
    cin = assertInputSchema(candidate.inputSchema);
    sin = assertInputSchema(stable.inputSchema);
  } catch (e) {
    return [e instanceof FeatureSchemaError ? e.message : String(e)];
  }
  for (const name of sin.required ?? []) {
    const s = sin.properties[name];
    const c = cin.properties[name];
    if (!c) {
      problems.push(`input feature ${name} is required by the stable version but missing from the candidate`);
      continue;
    }
    if (!sameType(s, c)) problems.push(`input feature ${name} is ${s.type} in the stable version, ${c.type} in the candidate`);
    else if (c.enum && s.enum) {
      const missing = s.enum.filter((v) => !c.enum!.some((w) => w === v));
      if (missing.length > 0) problems.push(`input feature ${name} no longer accepts ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
    }
  }
  for (const name of cin.required ?? []) {
    if (!(name in sin.properties)) problems.push(`the candidate requires input feature ${name}, which callers of the stable version do not send`);
  }
  const co = outputsOf(candidate.outputSchema);
  const so = outputsOf(stable.outputSchema);
  if (!co) problems.push('the candidate outputSchema does not follow the x-hotswap-outputs convention');
  else if (so) {
    if (co.task !== so.task) problems.push(`output task is ${so.task} in the stable version, ${co.task} in the candidate`);
    else if (co.task === 'classification' && so.task === 'classification') {
      const a = so.classes.map(String).sort().join(',');
      const b = co.classes.map(String).sort().join(',');
      if (a !== b) problems.push(`output classes differ: stable [${so.classes.join(', ')}], candidate [${co.classes.join(', ')}]`);
    }
  }
  return problems;
}
