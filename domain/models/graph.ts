/**
 * What the registry knows about a version's ONNX graph, read from the artifact at
 * registration (infra/onnx/read-graph.ts) and, on a model server, from the loaded session.
 * Element types use the Open Inference Protocol's datatype names, so the graph reads the
 * same as a /v2 metadata answer.
 */
export const TENSOR_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;
export type TensorDatatype = (typeof TENSOR_DATATYPES)[number];

export interface GraphTensor {
  name: string;
  /** OIP datatype of a tensor; null when the value is not a tensor or its element type has no OIP name (bfloat16, complex). */
  datatype: TensorDatatype | null;
  /** The ONNX type as ONNX writes it: "tensor(float)", "seq(map(int64,tensor(float)))". */
  onnxType: string;
  /** Dims with -1 for a dynamic one; null when the rank is unknown. */
  shape: number[] | null;
  /** Per dim, the symbolic name of a dynamic dim ("batch", "N"), else null. Same length as shape. */
  dimParams: (string | null)[] | null;
}

export interface OpsetImport {
  /** "" is the default ONNX operator set ("ai.onnx"). */
  domain: string;
  version: number;
}

export interface ModelGraph {
  /** Graph inputs that must be fed (initializers listed as inputs by older exporters are left out). */
  inputs: GraphTensor[];
  outputs: GraphTensor[];
  opsets: OpsetImport[];
  irVersion: number;
  producer: { name: string; version: string };
  sizeBytes: number;
}

/** Why a file is not a usable ONNX model (it does not decode, has no graph, no inputs or no outputs). */
export class InvalidModelError extends Error {
  constructor(readonly problems: string[]) {
    super(`not a valid ONNX model: ${problems.join('; ')}`);
    this.name = 'InvalidModelError';
  }
}

/** How a version is served: 'native' = the JSON features API and /v2; 'oip' = Open Inference Protocol (/v2) only, no feature schema. */
export const VERSION_INTERFACES = ['native', 'oip'] as const;
export type VersionInterface = (typeof VERSION_INTERFACES)[number];
