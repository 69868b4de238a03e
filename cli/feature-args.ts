import { UsageError } from './errors';

/**
 * Features from `k=v` arguments: numbers, true/false and null become JSON values, a value
 * starting with [ or { is parsed as JSON, anything else stays a string.
 * Example: parseFeatureArgs(['amount=1500', 'intl=false', 'category=retail'])
 *   → { amount: 1500, intl: false, category: 'retail' }.
 */
export function parseFeatureArgs(args: string[]): Record<string, unknown> {
  const features: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`feature "${arg}" is not key=value`, 'write each feature as name=value, e.g. --features amount=12.5 country=FR');
    features[arg.slice(0, eq)] = parseValue(arg.slice(eq + 1), arg);
  }
  return features;
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function parseValue(raw: string, arg: string): unknown {
  if (NUMBER.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw === 'null') return null;
  if (raw.startsWith('[') || raw.startsWith('{')) {
    try {
      return JSON.parse(raw);
    } catch {
      throw new UsageError(`feature "${arg}" is not valid JSON`, 'quote JSON values for the shell, e.g. \'v=[1,2]\'');
    }
  }
  return raw;
}

/**
 * The inference body from a --file document: `{features}` or `{instances}` as is, else the
 * document is the features. Example: inferenceBody({ a: 1 }) → { features: { a: 1 } }.
 */
export function inferenceBody(doc: unknown): Record<string, unknown> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError('the --file document is not a JSON object', 'give {"features": {...}} or the features object itself');
  const d = doc as Record<string, unknown>;
  return 'features' in d || 'instances' in d ? d : { features: d };
}
