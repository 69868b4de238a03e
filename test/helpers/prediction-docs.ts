import type { PredictionDoc } from '../../infra/mongo/prediction-log-repository';

/** A prediction-log entry for spill and journal tests: request id `r<i>`, one second apart. */
export const predictionDoc = (i: number): PredictionDoc => ({
  _id: `r${i}`,
  requestId: `r${i}`,
  time: new Date(Date.UTC(2025, 0, 15, 10, 0, i)),
  modelId: 'm',
  modelName: 'fraud',
  version: '1.0.0',
  versionId: 'v',
  environment: 'Production',
  role: 'primary',
  features: { amount: i, nested: { a: [1, 2] } },
  outputs: null,
  latencyMs: null,
  status: 'Completed',
  cached: false,
});
