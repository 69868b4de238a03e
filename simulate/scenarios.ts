/**
 * The simulated scenarios: a version's behaviour (healthy or one degradation) under a traffic
 * pattern. Rates are per second of total user traffic; the candidate gets its step's weight.
 */
export interface VersionBehaviour {
  errorRate: number;
  accuracy: number;
  medianLatencyMs: number;
  latencySigma: number;
}

export interface Scenario {
  name: string;
  /** True when the candidate is really worse: the run should end rolled back. */
  degraded: boolean;
  requestsPerSecond: number;
  /** Share of predictions that get a ground-truth label. */
  labelRate: number;
  /** Labels arrive this many minutes after the prediction. */
  labelDelayMin: number;
  /** Bursty traffic: each minute's rate is multiplied by a random factor (mean 1). */
  bursty: boolean;
  control: VersionBehaviour;
  candidate: VersionBehaviour;
  /** Canary settings this traffic calls for, where they differ from the default (what the plan would advise). */
  canary?: { initialPercentage?: number; incrementStep?: number; monitoringMinutes?: number; maxInconclusiveExtensions?: number };
  /** From this minute on, both versions' accuracy drops by `drift.accuracy` (input drift hits both alike). */
  drift?: { fromMinute: number; accuracy: number };
}

export const BASELINE: VersionBehaviour = { errorRate: 0.005, accuracy: 0.9, medianLatencyMs: 40, latencySigma: 0.4 };
/** At 1 req/s a 10 % canary sees 6 requests a minute: start at half the traffic and watch for an hour. */
const LOW_TRAFFIC_CANARY = { initialPercentage: 50, incrementStep: 40, monitoringMinutes: 60 };
/** Labels 10 minutes late reach a 5-minute window only on its third look: allow two more. */
const LATE_LABELS_CANARY = { maxInconclusiveExtensions: 4 };
const TRAFFIC = { requestsPerSecond: 100, labelRate: 0.5, labelDelayMin: 0, bursty: false };

const scenario = (name: string, candidate: Partial<VersionBehaviour>, extra: Partial<Scenario> = {}): Scenario => ({
  name,
  degraded: Object.keys(candidate).length > 0,
  ...TRAFFIC,
  control: BASELINE,
  candidate: { ...BASELINE, ...candidate },
  ...extra,
});

export const SCENARIOS: Scenario[] = [
  scenario('healthy', {}),
  scenario('accuracy −5 points', { accuracy: BASELINE.accuracy - 0.05 }),
  scenario('latency ×1.5', { medianLatencyMs: BASELINE.medianLatencyMs * 1.5 }),
  scenario('errors +1 point', { errorRate: BASELINE.errorRate + 0.01 }),
  scenario('drift shift (both −8 points at minute 4)', {}, { drift: { fromMinute: 4, accuracy: 0.08 } }),
  scenario('low traffic 1 req/s, healthy, 5-min windows', {}, { requestsPerSecond: 1 }),
  scenario('low traffic 1 req/s, healthy, 50 % → 90 %, 60-min windows', {}, { requestsPerSecond: 1, canary: LOW_TRAFFIC_CANARY }),
  scenario('low traffic 1 req/s, errors +1 point, 50 % → 90 %, 60-min windows', { errorRate: BASELINE.errorRate + 0.01 }, { requestsPerSecond: 1, canary: LOW_TRAFFIC_CANARY }),
  scenario('bursty traffic, healthy', {}, { bursty: true }),
  scenario('bursty traffic, latency ×1.5', { medianLatencyMs: BASELINE.medianLatencyMs * 1.5 }, { bursty: true }),
  scenario('labels 10 min late, healthy, 4 extensions', {}, { labelDelayMin: 10, canary: LATE_LABELS_CANARY }),
  scenario('labels 10 min late, accuracy −5 points, 4 extensions', { accuracy: BASELINE.accuracy - 0.05 }, { labelDelayMin: 10, canary: LATE_LABELS_CANARY }),
];
