import type { PredictionSink } from './prediction-sink';

/** The sink used when none is wired in: predictions are served but not recorded. */
export const noopPredictionSink: PredictionSink = { record: () => undefined };
