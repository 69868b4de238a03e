/** Who served a prediction: the routed pool's role, or a mirrored shadow copy. */
export const PREDICTION_ROLES = ['primary', 'canary', 'challenger', 'shadow'] as const;
export type PredictionRole = (typeof PREDICTION_ROLES)[number];

/** One metric series: everything counted for one (model, environment, version, role). */
export interface SeriesKey {
  modelId: string;
  modelName: string;
  environment: string;
  version: string;
  versionId: string;
  role: PredictionRole;
}

/** Stable text form of a series (no "|" occurs in ids, semantic versions or environment names). */
export function seriesId(k: Pick<SeriesKey, 'modelId' | 'environment' | 'version' | 'role'>): string {
  return `${k.modelId}|${k.environment}|${k.version}|${k.role}`;
}
