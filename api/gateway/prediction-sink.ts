/**
 * The contract between the inference gateway (which serves predictions) and what records them
 * (the prediction log and the metric buckets). The gateway calls `record` once per prediction
 * — primary and shadow alike — after the response is sent; `record` never blocks or throws.
 */
export type PredictionRole = 'primary' | 'canary' | 'challenger' | 'shadow';

export interface PredictionRecord {
  requestId: string;
  /** When the request arrived at the gateway. */
  time: Date;
  modelId: string;
  modelName: string;
  version: string;
  versionId: string;
  environment: string;
  role: PredictionRole;
  /** Features of a single request; for a batch, one record per instance with `${requestId}:${index}` ids. */
  features: unknown;
  /** The prediction as returned to the caller (null when it failed). */
  outputs: unknown;
  latencyMs: number;
  status: 'Completed' | 'Failed';
  /** Catalogue code when Failed (e.g. SCHEMA_VALIDATION_ERROR, SERVICE_UNAVAILABLE). */
  errorCode?: string;
  traceId?: string;
  cached?: boolean;
  serverId?: string;
  /** For shadow records: the primary's request id. */
  primaryRequestId?: string;
  /**
   * For shadow records: the outputs the primary answered with (null when it failed), for the
   * agreement metrics. Not stored: the primary's own entry holds them.
   */
  primaryOutputs?: unknown;
}

/** The request id a shadow copy of `primaryRequestId` is logged under. Example: "req-1" → "req-1:shadow". */
export const shadowRequestId = (primaryRequestId: string): string => `${primaryRequestId}:shadow`;

export interface PredictionSink {
  record(r: PredictionRecord): void;
  /** Makes what was recorded so far durable (the prediction log's journal); called before the answer leaves. Never throws. */
  commit?(): void;
}
