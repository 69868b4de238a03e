import type { ErrorDetail } from '../errors';
import type { GraphTensor, ModelGraph } from '../models/graph';
import { compileFeatureEncoder, type FeatureEncoder } from './preprocess';
import { compileOutputDecoder, type OutputDecoder } from './postprocess';
import { FeatureSchemaError } from './schema-problems';

const TENSOR = 'inputSchema.x-hotswap-tensor';
const OUTPUTS = 'outputSchema.x-hotswap-outputs';

/**
 * Every reason a version's feature schemas cannot serve its graph, as field-level details
 * (empty when they agree). One definition for the registry (at registration) and the model
 * server (at load). Checked:
 * - both schemas follow the convention (x-hotswap-tensor, x-hotswap-outputs; types.ts);
 * - the tensor the inputSchema feeds is a graph input, FP32 for "dense" and BYTES for "string",
 *   of rank 2 with as many columns as the schema encodes (a dynamic width accepts any);
 * - the graph needs no other input (native JSON feeds exactly one tensor);
 * - every output the outputSchema names exists and is a tensor; classification probabilities
 *   have one column per class, a regression value one per row.
 * Example: fraud-detection's graph (float_input FP32 [-1, 9]) with an inputSchema whose
 * x-hotswap-tensor.name is "input" →
 * [{field: "inputSchema.x-hotswap-tensor.name", message: 'the graph has no input named "input"; its inputs are "float_input"'}].
 */
export function schemaGraphProblems(graph: Pick<ModelGraph, 'inputs' | 'outputs'>, inputSchema: unknown, outputSchema: unknown): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const { encoder, decoder } = compileSchemas(inputSchema, outputSchema, problems);
  if (encoder) inputProblems(graph.inputs, encoder, problems);
  if (decoder) outputProblems(graph.outputs, decoder, outputSchema, problems);
  return problems;
}

/** The convention problems alone (when there is no graph to compare with: the artifact is not a model). */
export function featureSchemaProblems(inputSchema: unknown, outputSchema: unknown): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  compileSchemas(inputSchema, outputSchema, problems);
  return problems;
}

function compileSchemas(inputSchema: unknown, outputSchema: unknown, problems: ErrorDetail[]) {
  return { encoder: compileOr(() => compileFeatureEncoder(inputSchema), problems), decoder: compileOr(() => compileOutputDecoder(outputSchema), problems) };
}

function compileOr<T>(compile: () => T, problems: ErrorDetail[]): T | null {
  try {
    return compile();
  } catch (e) {
    if (!(e instanceof FeatureSchemaError)) throw e;
    for (const p of e.problems) {
      const at = p.indexOf(': ');
      problems.push(at > 0 ? { field: p.slice(0, at), message: p.slice(at + 2) } : { field: 'schema', message: p });
    }
    return null;
  }
}

function inputProblems(inputs: readonly GraphTensor[], encoder: FeatureEncoder, problems: ErrorDetail[]): void {
  const input = inputs.find((i) => i.name === encoder.tensorName);
  if (!input) problems.push({ field: `${TENSOR}.name`, message: `the graph has no input named "${encoder.tensorName}"; its inputs are ${list(inputs)}` });
  else {
    const want = encoder.encoding === 'dense' ? 'FP32' : 'BYTES';
    if (input.datatype !== want)
      problems.push({ field: `${TENSOR}.encoding`, message: `graph input "${input.name}" is ${input.onnxType}; ${encoder.encoding} encoding feeds ${want}` });
    const last = input.shape?.[input.shape.length - 1];
    if (input.shape && input.shape.length !== 2)
      problems.push({ field: TENSOR, message: `graph input "${input.name}" has rank ${input.shape.length} (${shapeText(input.shape)}); native JSON feeds [batch, ${encoder.width}]` });
    else if (last !== undefined && last !== -1 && last !== encoder.width)
      problems.push({ field: `${TENSOR}.order`, message: `graph input "${input.name}" takes ${last} columns but the inputSchema encodes ${encoder.width} (${encoder.order.join(', ')})` });
  }
  for (const other of inputs)
    if (other.name !== encoder.tensorName)
      problems.push({ field: `${TENSOR}.name`, message: `graph input "${other.name}" is not fed by the inputSchema, which feeds only "${encoder.tensorName}"; register without a feature schema to serve it over /v2` });
}

function outputProblems(outputs: readonly GraphTensor[], decoder: OutputDecoder, outputSchema: unknown, problems: ErrorDetail[]): void {
  const ext = (outputSchema as { 'x-hotswap-outputs': { classes?: unknown[]; labelOutput?: string } })['x-hotswap-outputs'];
  const named: [string, string][] = decoder.task === 'classification' ? [['probabilitiesOutput', decoder.fetches[0]]] : [['valueOutput', decoder.fetches[0]]];
  if (ext.labelOutput !== undefined) named.push(['labelOutput', ext.labelOutput]);
  for (const [key, name] of named) {
    const field = `${OUTPUTS}.${key}`;
    const out = outputs.find((o) => o.name === name);
    if (!out) {
      problems.push({ field, message: `the graph has no output named "${name}"; its outputs are ${list(outputs)}` });
      continue;
    }
    if (out.datatype === null) {
      problems.push({ field, message: `graph output "${name}" is ${out.onnxType}, not a tensor (convert scikit-learn classifiers with zipmap disabled)` });
      continue;
    }
    if (key === 'labelOutput') continue;
    const width = out.shape && out.shape.length >= 2 ? out.shape.slice(1).reduce((a, b) => (a === -1 || b === -1 ? -1 : a * b), 1) : null;
    const classes = ext.classes?.length ?? 0;
    if (decoder.task === 'classification' && width !== null && width !== -1 && width !== classes)
      problems.push({ field: `${OUTPUTS}.classes`, message: `graph output "${name}" has ${width} columns but x-hotswap-outputs.classes lists ${classes}` });
    if (decoder.task === 'regression' && width !== null && width !== -1 && width !== 1)
      problems.push({ field, message: `graph output "${name}" has ${width} values per row; regression reads 1` });
  }
}

const list = (tensors: readonly GraphTensor[]) => (tensors.length ? tensors.map((t) => `"${t.name}"`).join(', ') : 'none');
const shapeText = (shape: readonly number[]) => `[${shape.map((d) => (d === -1 ? '?' : String(d))).join(', ')}]`;
