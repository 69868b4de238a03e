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
  const { minimum, maximum, exclusiveMinimum: exLo, exclusiveMaximum: exHi } = prop;
  const integer = prop.type === 'integer';
  let lo = minimum ?? exLo;
  let hi = maximum ?? exHi;
  if (lo === undefined && hi === undefined) [lo, hi] = [0, 2];
  else if (lo === undefined) lo = Math.min(0, hi! - 2);
  else if (hi === undefined) hi = lo + 2;
  const mid = (lo + hi!) / 2;
  const ok = (x: number) =>
    (minimum === undefined || x >= minimum) && (maximum === undefined || x <= maximum) && (exLo === undefined || x > exLo) && (exHi === undefined || x < exHi) && (!integer || Number.isInteger(x));
  const pick = [lo, mid, hi!][i % 3];
  const v = integer ? Math.round(pick) : pick;
  if (ok(v)) return v;
  if (integer) for (let x = Math.ceil(lo); x <= Math.floor(hi!); x++) if (ok(x)) return x;
  return mid;
}
