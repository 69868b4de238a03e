import { assertInputSchema } from './schema-problems';
import type { PropertySchema } from './types';

/**
 * Deterministic, valid rows generated from an inputSchema, for warm-up inferences.
 * Row i uses, per property: the default or the i-th example when given; otherwise for
 * numbers a value inside [minimum, maximum] (the lower bound, the midpoint, the upper bound,
 * cycling), enums cycle through their values, booleans alternate, strings are "warm up i",
 * arrays repeat the item rule. Example: {"a":{"type":"number","minimum":0,"maximum":10}}
 * → rows [{a:0},{a:5},{a:10}].
 */
export function sampleRows(rawSchema: unknown, count: number): Record<string, unknown>[] {
  const schema = assertInputSchema(rawSchema);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const row: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(schema.properties)) row[name] = sampleValue(prop, i);
    rows.push(row);
  }
  return rows;
}

function sampleValue(prop: PropertySchema, i: number): unknown {
  if (Array.isArray(prop.examples) && prop.examples.length > 0) return prop.examples[i % prop.examples.length];
  if (prop.enum && prop.enum.length > 0) return prop.enum[i % prop.enum.length];
  if (prop.default !== undefined && i === 0) return prop.default;
  switch (prop.type) {
    case 'boolean':
      return i % 2 === 1;
    case 'string': {
      const s = `warm up ${i}`;
      const min = prop.minLength ?? 0;
      const padded = s.length < min ? s.padEnd(min, 'x') : s;
      return prop.maxLength !== undefined ? padded.slice(0, prop.maxLength) : padded;
    }
    case 'array': {
      const n = prop.minItems ?? prop.maxItems ?? 1;
      return Array.from({ length: n }, (_, j) => sampleValue(prop.items ?? { type: 'number' }, i + j));
    }
    default:
      return sampleNumber(prop, i);
  }
}

function sampleNumber(prop: PropertySchema, i: number): number {
  const lo = prop.minimum ?? (prop.exclusiveMinimum !== undefined ? prop.exclusiveMinimum + 1 : undefined);
  const hi = prop.maximum ?? (prop.exclusiveMaximum !== undefined ? prop.exclusiveMaximum - 1 : undefined);
  const low = lo ?? (hi !== undefined ? Math.min(0, hi) : 0);
  const high = hi ?? low + 2;
  const pick = [low, (low + high) / 2, high][i % 3]!;
  const v = prop.type === 'integer' ? Math.ceil(pick) : pick;
  // exclusive bounds: nudge inside
  if (prop.exclusiveMinimum !== undefined && v <= prop.exclusiveMinimum) return prop.type === 'integer' ? Math.floor(prop.exclusiveMinimum) + 1 : (prop.exclusiveMinimum + high) / 2;
  if (prop.exclusiveMaximum !== undefined && v >= prop.exclusiveMaximum) return prop.type === 'integer' ? Math.ceil(prop.exclusiveMaximum) - 1 : (low + prop.exclusiveMaximum) / 2;
  return prop.type === 'integer' && v > high ? Math.floor(high) : v;
}
