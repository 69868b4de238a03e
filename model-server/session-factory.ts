import * as ort from 'onnxruntime-node';
import type { FeatureEncoder, OutputDecoder } from '../domain/feature-schema';

export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionSettings {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimization: GraphOptimization;
  allowSpinning: boolean;
}

/**
 * Creates an onnxruntime session tuned for a small model served from the JS thread:
 * sequential execution, few threads, and no thread spinning (spinning burns a core per
 * session while idle and steals it from the event loop).
 */
export async function createSession(modelPath: string, s: SessionSettings): Promise<ort.InferenceSession> {
  const spin = s.allowSpinning ? '1' : '0';
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: s.intraOpThreads,
    interOpNumThreads: s.interOpThreads,
    graphOptimizationLevel: s.graphOptimization,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  });
}

/** What the model server needs to know about a graph input or output. */
export interface TensorInfo {
  name: string;
  /** onnxruntime type name ("float32", "string", ...) or null for non-tensor values. */
  type: string | null;
  /** Dims, with -1 for symbolic/unknown dimensions; null when the rank is unknown. */
  shape: number[] | null;
}

export interface GraphInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export function describeGraph(session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames'> & Partial<Pick<ort.InferenceSession, 'inputMetadata' | 'outputMetadata'>>): GraphInfo {
  const toInfo = (names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[] | undefined): TensorInfo[] =>
    names.map((name, i) => {
      const m = meta?.[i];
      if (!m || m.name !== name) return { name, type: null, shape: null };
      if (!m.isTensor) return { name, type: null, shape: null };
      return { name, type: m.type, shape: m.shape.length === 0 ? null : m.shape.map((d) => (typeof d === 'number' ? d : -1)) };
    });
  return { inputs: toInfo(session.inputNames, session.inputMetadata), outputs: toInfo(session.outputNames, session.outputMetadata) };
}

/**
 * Compares a graph with the version's schemas; returns one problem per mismatch (empty when
 * they agree). Checked: the schema's tensor is a graph input of the right element type and
 * width, the graph needs no other input, and every output the decoder reads exists with the
 * right width (probabilities: one column per class).
 */
export function graphProblems(graph: GraphInfo, encoder: FeatureEncoder, decoder: OutputDecoder, classes: number | null): string[] {
  const problems: string[] = [];
  const input = graph.inputs.find((i) => i.name === encoder.tensorName);
  if (!input) problems.push(`graph has no input named "${encoder.tensorName}" (x-hotswap-tensor.name); its inputs are ${list(graph.inputs)}`);
  else {
    const want = encoder.encoding === 'dense' ? 'float32' : 'string';
    if (input.type !== null && input.type !== want) problems.push(`graph input "${input.name}" is ${input.type}; ${encoder.encoding} encoding feeds ${want}`);
    const last = input.shape?.[input.shape.length - 1];
    if (input.shape && input.shape.length !== 2) problems.push(`graph input "${input.name}" has rank ${input.shape.length}; expected [batch, ${encoder.width}]`);
    else if (last !== undefined && last !== -1 && last !== encoder.width)
      problems.push(`graph input "${input.name}" takes ${last} columns but the inputSchema encodes ${encoder.width} (${encoder.order.join(', ')})`);
  }
  for (const other of graph.inputs)
    if (other.name !== encoder.tensorName) problems.push(`graph input "${other.name}" is not fed by the inputSchema (x-hotswap-tensor.name is "${encoder.tensorName}")`);
  for (const name of decoder.fetches) {
    const out = graph.outputs.find((o) => o.name === name);
    if (!out) {
      problems.push(`graph has no output named "${name}" (x-hotswap-outputs); its outputs are ${list(graph.outputs)}`);
      continue;
    }
    if (out.type === null) problems.push(`graph output "${name}" is not a tensor (for scikit-learn classifiers convert with zipmap disabled)`);
    const width = out.shape && out.shape.length >= 2 ? out.shape.slice(1).reduce((a, b) => (a === -1 || b === -1 ? -1 : a * b), 1) : null;
    if (decoder.task === 'classification' && classes !== null && width !== null && width !== -1 && width !== classes)
      problems.push(`graph output "${name}" has ${width} columns but x-hotswap-outputs.classes lists ${classes}`);
    if (decoder.task === 'regression' && width !== null && width !== -1 && width !== 1) problems.push(`graph output "${name}" has ${width} values per row; regression expects 1`);
  }
  return problems;
}

const list = (infos: TensorInfo[]) => (infos.length ? infos.map((i) => `"${i.name}"`).join(', ') : 'none');
