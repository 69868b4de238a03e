import * as ort from 'onnxruntime-node';
import { TENSOR_DATATYPES, type GraphTensor, type ModelGraph, type TensorDatatype } from '../domain/models/graph';
import { oipDatatype } from './oip-datatypes';

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
 * The session's graph as the domain's ModelGraph (OIP datatype names), for the shared
 * schema-vs-graph check (domain/feature-schema/graph-compatibility.ts). The session does not
 * tell symbolic dim names, ONNX type names of non-tensors, opsets or producer: those are left
 * empty; the check does not read them.
 */
export function toModelGraph(graph: GraphInfo): Pick<ModelGraph, 'inputs' | 'outputs'> {
  const toTensor = (t: TensorInfo): GraphTensor => {
    const datatype = oipDatatype(t.type);
    const known = (TENSOR_DATATYPES as readonly string[]).includes(datatype) ? (datatype as TensorDatatype) : null;
    return { name: t.name, datatype: known, onnxType: t.type === null ? 'non-tensor' : `tensor(${t.type})`, shape: t.shape, dimParams: null };
  };
  return { inputs: graph.inputs.map(toTensor), outputs: graph.outputs.map(toTensor) };
}
