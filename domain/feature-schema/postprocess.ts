import { assertOutputSchema } from './schema-problems';
import type { OutputExtension, OutputTensorView, RowPrediction } from './types';

/**
 * Turns output tensors into per-row predictions, from the outputSchema's `x-hotswap-outputs`.
 *
 * - classification: probabilities [N, C] with columns in `classes` order →
 *   `{label: classes[argmax], probabilities: {class: p}}`, confidence = the top probability
 *   (ties go to the first class). Example: classes ["no","yes"], row [0.2, 0.8] →
 *   `{label: "yes", probabilities: {no: 0.2, yes: 0.8}}`, confidence 0.8.
 * - regression: value [N] or [N, 1] → `{value}`, confidence null.
 */
export interface OutputDecoder {
  readonly task: OutputExtension['task'];
  /** The ONNX outputs the decoder reads (fetch only these). */
  readonly fetches: readonly string[];
  /** Decodes row `row` of a run whose outputs are `outputs` (keyed by output name). */
  decodeRow(outputs: Readonly<Record<string, OutputTensorView>>, row: number): RowPrediction;
}

export class OutputDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputDecodeError';
  }
}

export function compileOutputDecoder(rawSchema: unknown): OutputDecoder {
  const ext = assertOutputSchema(rawSchema)['x-hotswap-outputs'];
  if (ext.task === 'regression') {
    const name = ext.valueOutput;
    return {
      task: 'regression',
      fetches: [name],
      decodeRow(outputs, row) {
        const t = tensor(outputs, name);
        const perRow = rowWidth(t);
        if (perRow !== 1) throw new OutputDecodeError(`output ${name} has ${perRow} values per row; regression expects 1`);
        return { prediction: { value: toNumber(t.data[row]) }, confidence: null };
      },
    };
  }
  const name = ext.probabilitiesOutput;
  const classes = ext.classes;
  const keys = classes.map(String);
  const c = classes.length;
  return {
    task: 'classification',
    fetches: [name],
    decodeRow(outputs, row) {
      const t = tensor(outputs, name);
      const width = rowWidth(t);
      if (width !== c) throw new OutputDecodeError(`output ${name} has ${width} probabilities per row; the schema lists ${c} classes`);
      const data = t.data;
      const base = row * c;
      const probabilities: Record<string, number> = {};
      let best = 0;
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < c; j++) {
        const p = toNumber(data[base + j]);
        probabilities[keys[j]] = p;
        if (p > top) {
          top = p;
          best = j;
        }
      }
      return { prediction: { label: classes[best], probabilities }, confidence: top };
    },
  };
}

function tensor(outputs: Readonly<Record<string, OutputTensorView>>, name: string): OutputTensorView {
  const t = outputs[name];
  if (!t) throw new OutputDecodeError(`the model produced no output named ${name}`);
  return t;
}

/** Values per row: the product of every dim after the first (1 for a rank-1 tensor). */
function rowWidth(t: OutputTensorView): number {
  let w = 1;
  for (let i = 1; i < t.dims.length; i++) w *= t.dims[i];
  return w;
}

function toNumber(v: number | bigint | string | boolean | undefined): number {
  return typeof v === 'number' ? v : Number(v);
}
