import express from 'express';
import { z } from '../openapi/zod';
import type { RouteCatalogue } from '../http/route-catalogue';

/**
 * OpenAPI entries for the Open Inference Protocol v2 (KServe / Triton REST), served by the lean
 * gateway (api/gateway/oip-v2-handler.ts). Every error body is the protocol's {"error": "..."}.
 */
const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];
const OipError = z.object({ error: z.string() }).openapi('OipError');
const err = (description: string) => ({ description, content: { 'application/json': { schema: OipError } } });
const errors = {
  400: err('Bad request: body, tensor, shape, datatype or binary framing'),
  401: err('Not authenticated'),
  403: err('Lacks inference:run'),
  404: err('Unknown model or version'),
  429: err('Rate limit (Retry-After)'),
  503: err('No route, or no model server can serve the version'),
};
const json = <T extends z.ZodType>(schema: T, description = '') => ({ description, content: { 'application/json': { schema } } });
const Model = z.object({ modelName: z.string().openapi({ example: 'colour-image' }) });
const ModelVersion = Model.extend({ version: z.string().openapi({ example: '1.0.0' }) });
const Environment = z.object({ environment: z.string().optional().openapi({ description: 'Development, Staging or Production (default); or header X-HotSwap-Environment' }) });
const Tensor = z.object({ name: z.string(), datatype: z.string().openapi({ example: 'FP32' }), shape: z.array(z.number().int()) });
const TensorData = Tensor.extend({
  data: z.array(z.unknown()).optional().openapi({ description: 'Flat or nested, row-major; absent when parameters.binary_data_size gives the bytes' }),
  parameters: z.object({ binary_data_size: z.number().int().optional(), binary_data: z.boolean().optional() }).partial().optional(),
});
const InferRequest = z
  .object({
    id: z.string().optional(),
    parameters: z.object({ binary_data_output: z.boolean().optional() }).passthrough().optional(),
    inputs: z.array(TensorData),
    outputs: z.array(z.object({ name: z.string(), parameters: z.object({ binary_data: z.boolean().optional() }).optional() })).optional(),
  })
  .openapi('OipInferRequest');
const InferResponse = z.object({ model_name: z.string(), model_version: z.string(), id: z.string().optional(), outputs: z.array(TensorData) }).openapi('OipInferResponse');
const ModelMetadata = z.object({ name: z.string(), versions: z.array(z.string()), platform: z.string(), inputs: z.array(Tensor), outputs: z.array(Tensor) }).openapi('OipModelMetadata');
const ModelConfig = z
  .object({
    name: z.string(),
    platform: z.string(),
    backend: z.string(),
    max_batch_size: z.number().int().openapi({ description: '0 when a graph input or output has a fixed first dimension; dims then include it' }),
    input: z.array(z.object({ name: z.string(), data_type: z.string().openapi({ example: 'TYPE_FP32' }), dims: z.array(z.number().int()) }).passthrough()),
    output: z.array(z.object({ name: z.string(), data_type: z.string(), dims: z.array(z.number().int()) }).passthrough()),
  })
  .passthrough()
  .openapi('OipModelConfig');
const binaryBody = {
  description: 'JSON, or with the binary tensor data extension: header Inference-Header-Content-Length = length of the JSON part, then the raw tensor bytes',
  content: { 'application/json': { schema: InferRequest }, 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
};

export function oipDocs() {
  return (catalogue: RouteCatalogue) => {
    catalogue.document('get', '/v2', {
      tags: ['Open Inference Protocol v2'],
      summary: 'Server metadata and the extensions served (binary_tensor_data, model_configuration)',
      responses: { 200: json(z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })) },
    });
    for (const p of ['live', 'ready'] as const)
      catalogue.document('get', `/v2/health/${p}`, { tags: ['Open Inference Protocol v2'], summary: `Server ${p}ness`, responses: { 200: json(z.object({ [p]: z.boolean() })), ...(p === 'ready' && { 503: json(z.object({ ready: z.boolean() })) }) } });
    catalogue.document('post', '/v2/repository/index', {
      tags: ['Open Inference Protocol v2'],
      summary: "The versions the environment's routing tables send traffic to (read only: no load or unload)",
      security,
      request: { query: Environment, body: json(z.object({ ready: z.boolean().optional() })) },
      responses: { 200: json(z.array(z.object({ name: z.string(), version: z.string(), state: z.enum(['READY', 'UNAVAILABLE']), reason: z.string().optional() }))), ...errors },
    });
    for (const [suffix, params] of [
      ['', Model],
      ['/versions/{version}', ModelVersion],
    ] as const) {
      const base = `/v2/models/{modelName}${suffix}`;
      const routed = suffix === '' ? 'the version the routing table picks' : 'the named version';
      catalogue.document('get', base, { tags: ['Open Inference Protocol v2'], summary: `Model metadata of ${routed}`, security, request: { params, query: Environment }, responses: { 200: json(ModelMetadata), ...errors } });
      catalogue.document('get', `${base}/ready`, { tags: ['Open Inference Protocol v2'], summary: `Readiness of ${routed}`, security, request: { params, query: Environment }, responses: { 200: json(z.object({ name: z.string(), ready: z.boolean() })), ...errors } });
      catalogue.document('get', `${base}/config`, { tags: ['Open Inference Protocol v2'], summary: `Triton-style model configuration of ${routed} (perf_analyzer, tritonclient get_model_config)`, security, request: { params, query: Environment }, responses: { 200: json(ModelConfig), ...errors } });
      catalogue.document('post', `${base}/infer`, {
        tags: ['Open Inference Protocol v2'],
        summary: `Inference on ${routed}`,
        description:
          'Any ONNX graph: any number of inputs and outputs, any rank, dynamic dimensions; datatypes BOOL, UINT8–64, INT8–64, FP16, FP32, FP64, BYTES. ' +
          'Binary outputs with parameters.binary_data_output (request) or outputs[].parameters.binary_data; the answer then carries Inference-Header-Content-Length. ' +
          'Requests go through the version’s dynamic batcher. Requires inference:run; rate-limited like /api/v1/inference.',
        security,
        request: { params, query: Environment, body: binaryBody },
        responses: {
          200: { description: 'JSON, or JSON header + binary outputs (application/octet-stream)', content: { 'application/json': { schema: InferResponse }, 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
          413: err('Body too large'),
          ...errors,
        },
      });
    }
    return express.Router();
  };
}
