import type { PredictionRole } from './prediction-sink';

/**
 * Where one request goes: a model version in an environment, with the role its traffic plays,
 * and the model-server paths for it precomputed (no string building per request).
 */
export interface Target {
  modelId: string;
  modelName: string;
  environment: string;
  versionId: string;
  version: string;
  role: PredictionRole;
  /** POST /v1/models/{m}/versions/{v}/predict */
  predictPath: string;
  /** POST .../predict/batch */
  batchPath: string;
  /** /v2/models/{m}/versions/{v} (metadata; + /ready, /infer) */
  v2Path: string;
}

export function makeTarget(t: Omit<Target, 'predictPath' | 'batchPath' | 'v2Path'>): Target {
  const m = encodeURIComponent(t.modelName);
  const v = encodeURIComponent(t.version);
  const predictPath = `/v1/models/${m}/versions/${v}/predict`;
  return { ...t, predictPath, batchPath: `${predictPath}/batch`, v2Path: `/v2/models/${m}/versions/${v}` };
}
