import type { Coalition, CoalitionPlan } from './kernel-shap';

type Row = Readonly<Record<string, unknown>>;

/**
 * The rows one explanation sends to the model, in one batch: x itself, then for the empty
 * coalition and each planned coalition one row per background row (features in the coalition
 * from x, the others from the background row). A feature x leaves out (an optional one) is left
 * out of the row too, so the model applies its default. Rows = 1 + (coalitions + 1) × background.
 * Example: features [a, b], x = {a: 1, b: 2}, background [{a: 0, b: 0}], coalition [true, false]
 * → rows [{a:1,b:2}, {a:0,b:0}, {a:1,b:0}].
 */
export function explanationRows(features: readonly string[], x: Row, background: readonly Row[], plan: CoalitionPlan): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [{ ...x }];
  const none: Coalition = features.map(() => false);
  for (const z of [none, ...plan.coalitions]) {
    for (const b of background) {
      const row: Record<string, unknown> = { ...b };
      features.forEach((f, i) => {
        if (!z[i]) return;
        if (f in x) row[f] = x[f];
        else delete row[f];
      });
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Reads the model's outputs for `explanationRows` back: f(x), φ₀ = mean of the empty
 * coalition's rows, and v(z) = the mean of each coalition's rows.
 */
export function coalitionValuesOf(outputs: readonly number[], backgroundSize: number, coalitions: number): { value: number; baseValue: number; coalitionValues: number[] } {
  const expected = 1 + (coalitions + 1) * backgroundSize;
  if (outputs.length !== expected) throw new RangeError(`expected ${expected} outputs, got ${outputs.length}`);
  const mean = (k: number) => {
    let s = 0;
    for (let i = 0; i < backgroundSize; i++) s += outputs[1 + k * backgroundSize + i];
    return s / backgroundSize;
  };
  return { value: outputs[0], baseValue: mean(0), coalitionValues: Array.from({ length: coalitions }, (_, c) => mean(c + 1)) };
}

/**
 * Background rows picked evenly from a sample of `available` rows (deterministic: the same
 * sample always gives the same background). Example: available 10, want 4 → indices [0, 2, 5, 7].
 */
export function backgroundIndices(available: number, want: number): number[] {
  const n = Math.min(available, want);
  return Array.from({ length: n }, (_, i) => Math.floor((i * available) / n));
}

/**
 * A small seeded generator (mulberry32) for sampled coalitions, so an explanation of the same
 * request gives the same answer. Example: seededRandom(1)() is always the same number in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
