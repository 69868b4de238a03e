import type { MetricCheck } from './analysis';

/**
 * The candidate's value at which a metric check turns Failed, in the metric's own unit: the
 * threshold line of a chart. The limit means something different per metric (evaluateWindow):
 * - errorRate (absolute increase): stable + limit;
 * - p99Latency, meanLatency, latency (ratio; `latency` is the anytime-valid test's, on the means): stable × limit;
 * - accuracy (relative drop, a floor): stable × (1 − limit);
 * - anything else, or a check missing a number: null.
 * Example: { metric: 'p99Latency', stable: 12, limit: 1.5 } → 18 (ms).
 */
export function candidateBound(check: Pick<MetricCheck, 'metric' | 'stable' | 'limit'>): number | null {
  const { stable, limit } = check;
  if (stable === null || limit === null) return null;
  switch (check.metric) {
    case 'errorRate':
      return stable + limit;
    case 'p99Latency':
    case 'meanLatency':
    case 'latency':
      return stable * limit;
    case 'accuracy':
      return stable * (1 - limit);
    default:
      return null;
  }
}
