import { oipDatatype, tritonConfigType } from './oip-datatypes';
import { isBatchable } from './oip-batch';
import type { GraphInfo, TensorInfo } from './session-factory';

export const PLATFORM = 'onnxruntime_onnx';

/**
 * A version's model configuration in Triton's JSON form (GET /v2/models/{m}/config), as
 * perf_analyzer and tritonclient's get_model_config read it. A graph whose every input and
 * output has a dynamic first dimension is batched by this server: max_batch_size is the
 * version's maxBatchSize and dims leave out the batch dimension (Triton's convention);
 * otherwise max_batch_size is 0 and dims are the full shape. -1 marks a dynamic dimension.
 */
export function tritonModelConfig(modelName: string, graph: GraphInfo, options: { maxBatchSize: number; maxQueueDelayMicros: number }) {
  const batched = isBatchable(graph);
  const dims = (t: TensorInfo) => {
    const shape = t.shape ?? [-1];
    return batched ? shape.slice(1) : shape;
  };
  return {
    name: modelName,
    platform: PLATFORM,
    backend: 'onnxruntime',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: batched ? options.maxBatchSize : 0,
    input: graph.inputs.map((t) => ({
      name: t.name,
      data_type: tritonConfigType(oipDatatype(t.type)),
      format: 'FORMAT_NONE',
      dims: dims(t),
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
    })),
    output: graph.outputs.map((t) => ({ name: t.name, data_type: tritonConfigType(oipDatatype(t.type)), dims: dims(t), label_filename: '', is_shape_tensor: false })),
    ...(batched && { dynamic_batching: { preferred_batch_size: [], max_queue_delay_microseconds: options.maxQueueDelayMicros } }),
    instance_group: [{ name: modelName, kind: 'KIND_CPU', count: 1, gpus: [], profile: [] }],
    default_model_filename: 'model.onnx',
  };
}
