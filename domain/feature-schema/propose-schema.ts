import type { GraphTensor, ModelGraph } from '../models/graph';

export interface SchemaProposal {
  /** null when no feature schema can be derived; `reasons` says why. */
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
  /** What could not be derived, or what to edit before registering the proposal. */
  reasons: string[];
}

/**
 * A feature schema derived from a graph, as a starting point for a native JSON interface.
 * Derived when the graph has exactly one input, either FP32 [batch, D] with a fixed D
 * (D number properties feature_0 … feature_{D-1}, "dense") or BYTES [batch, 1] (one string
 * property "text", "string"). Outputs: an FP32 [batch, C] output with C > 1 becomes
 * classification with classes 0 … C-1 (the graph does not say the labels: rename them), an
 * FP32 [batch] or [batch, 1] output becomes regression. Anything else (several inputs, other
 * element types or ranks, a dynamic width) gets no schema and a reason; such a model is served
 * over /v2 only. Example: fraud-detection (float_input FP32 [-1, 9]; probabilities FP32 [-1, 2])
 * → 9 number features and classification over classes [0, 1].
 */
export function proposeFeatureSchema(graph: Pick<ModelGraph, 'inputs' | 'outputs'>): SchemaProposal {
  const reasons: string[] = [];
  const inputSchema = proposeInput(graph.inputs, reasons);
  const outputSchema = proposeOutput(graph.outputs, reasons);
  if (!inputSchema || !outputSchema) return { inputSchema: null, outputSchema: null, reasons };
  return { inputSchema, outputSchema, reasons };
}

function proposeInput(inputs: readonly GraphTensor[], reasons: string[]): Record<string, unknown> | null {
  if (inputs.length !== 1) {
    reasons.push(`the graph has ${inputs.length} inputs; native JSON feeds exactly one`);
    return null;
  }
  const [input] = inputs;
  const width = input.shape?.length === 2 ? input.shape[1] : null;
  if (input.datatype === 'BYTES' && width === 1)
    return objectSchema({ text: { type: 'string' } }, { name: input.name, encoding: 'string', order: ['text'] });
  if (input.datatype !== 'FP32') {
    reasons.push(`input "${input.name}" is ${input.onnxType}; native JSON feeds float [batch, D] or string [batch, 1]`);
    return null;
  }
  if (width === null || width < 1) {
    reasons.push(`input "${input.name}" has shape ${JSON.stringify(input.shape)}; native JSON needs [batch, D] with a fixed D`);
    return null;
  }
  const order = Array.from({ length: width }, (_, i) => `feature_${i}`);
  return objectSchema(Object.fromEntries(order.map((n) => [n, { type: 'number' }])), { name: input.name, encoding: 'dense', order });
}

function objectSchema(properties: Record<string, unknown>, tensor: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', required: Object.keys(properties), additionalProperties: false, properties, 'x-hotswap-tensor': tensor };
}

function proposeOutput(outputs: readonly GraphTensor[], reasons: string[]): Record<string, unknown> | null {
  const fp32 = outputs.filter((o) => o.datatype === 'FP32' && o.shape !== null && o.shape.length >= 1 && o.shape.length <= 2);
  const probabilities = fp32.find((o) => o.shape!.length === 2 && o.shape![1] > 1);
  if (probabilities) {
    const classes = Array.from({ length: probabilities.shape![1] }, (_, i) => i);
    reasons.push(`classes are the column indexes 0…${classes.length - 1}: replace them with the labels`);
    return {
      type: 'object',
      'x-hotswap-outputs': { task: 'classification', probabilitiesOutput: probabilities.name, classes },
    };
  }
  const value = fp32.find((o) => o.shape!.length === 1 || o.shape![1] === 1);
  if (value) return { type: 'object', 'x-hotswap-outputs': { task: 'regression', valueOutput: value.name } };
  reasons.push('no output is FP32 [batch, C] (class probabilities) or FP32 [batch] / [batch, 1] (a regression value)');
  return null;
}
