/**
 * The feature-schema convention: a version's inputSchema is a JSON Schema object plus an
 * `x-hotswap-tensor` extension saying how a JSON row becomes the ONNX input tensor; its
 * outputSchema carries `x-hotswap-outputs` saying how output tensors become a prediction.
 *
 * Example inputSchema:
 * {"type":"object","required":["amount"],"additionalProperties":false,
 *  "properties":{"amount":{"type":"number","minimum":0},"channel":{"type":"string","enum":["web","pos"],"default":"web"}},
 *  "x-hotswap-tensor":{"name":"input","encoding":"dense","order":["amount","channel"]}}
 * encodes {"amount":3} as the float32 row [3, 1, 0].
 */

export type TensorEncoding = 'dense' | 'string';

export interface TensorExtension {
  /** Name of the ONNX graph input. */
  name: string;
  /** "dense": float32 [N, D]; "string": string [N, 1] from the single string property. */
  encoding: TensorEncoding;
  /** Property names in tensor column order. */
  order: string[];
}

export type PropertyType = 'number' | 'integer' | 'boolean' | 'string' | 'array';

export interface PropertySchema {
  type: PropertyType;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  /** Arrays: the item schema (numbers or integers). */
  items?: PropertySchema;
  minItems?: number;
  maxItems?: number;
  examples?: unknown[];
  description?: string;
}

export interface InputSchema {
  type: 'object';
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
  'x-hotswap-tensor': TensorExtension;
}

export interface ClassificationOutputs {
  task: 'classification';
  /** Output holding predicted labels (optional: the label is taken from argmax of probabilities). */
  labelOutput?: string;
  /** Output holding probabilities [N, C], columns in `classes` order. */
  probabilitiesOutput: string;
  classes: (string | number)[];
}

export interface RegressionOutputs {
  task: 'regression';
  /** Output holding the value [N] or [N, 1]. */
  valueOutput: string;
}

export type OutputExtension = ClassificationOutputs | RegressionOutputs;

export interface OutputSchema {
  'x-hotswap-outputs': OutputExtension;
  [key: string]: unknown;
}

/** One encoded batch of rows, ready to become the model's input tensor. */
export type EncodedRows =
  | { kind: 'dense'; rows: number; width: number; data: Float32Array }
  | { kind: 'string'; rows: number; width: 1; data: string[] };

/** Protocol-neutral view of an output tensor: flat data plus dims. */
export interface OutputTensorView {
  data: ArrayLike<number | bigint | string | boolean>;
  dims: readonly number[];
}

export type ClassificationPrediction = { label: string | number; probabilities: Record<string, number> };
export type RegressionPrediction = { value: number };

export interface RowPrediction {
  prediction: ClassificationPrediction | RegressionPrediction;
  /** Top probability for classification; null for regression. */
  confidence: number | null;
}
