/**
 * The charts' data: one point per live-metrics window the deployment page has polled (the API
 * gives the last 5 minutes of the candidate and the stable version), and the threshold from the
 * last analysis window's checks (domain/deployments/check-bound.ts).
 */
import type { DeploymentDetail } from '../../api/services/deployment-service';
import { candidateBound } from '../../domain/deployments/check-bound';
import type { MetricName } from '../../domain/deployments/analysis';

export interface Point {
  at: number;
  candidate: number | null;
  stable: number | null;
}

export interface ChartSpec {
  title: string;
  unit: string;
  /** The analysis checks whose threshold is drawn (the first found): checks of this chart's measure only. */
  checks: readonly MetricName[];
  value(m: NonNullable<NonNullable<DeploymentDetail['liveMetrics']>['candidate']>): number | null;
}

export const CHARTS: ChartSpec[] = [
  { title: 'Error rate', unit: '', checks: ['errorRate'], value: (m) => m.errorRate },
  // The anytime-valid latency test's tolerance is a ratio of means: its line belongs on the mean chart.
  { title: 'Mean latency', unit: 'ms', checks: ['latency', 'meanLatency'], value: (m) => m.avgLatencyMs },
  { title: 'p99 latency', unit: 'ms', checks: ['p99Latency'], value: (m) => m.p99LatencyMs },
];

const MAX_POINTS = 300;

/** Adds this poll's window to the series (once per window end), keeping the last MAX_POINTS. */
export function appendPoint(series: Point[], d: DeploymentDetail, spec: ChartSpec): Point[] {
  const live = d.liveMetrics;
  if (!live) return series;
  const at = Date.parse(live.to);
  if (series.length > 0 && series[series.length - 1].at >= at) return series;
  const point = { at, candidate: live.candidate ? spec.value(live.candidate) : null, stable: live.stable ? spec.value(live.stable) : null };
  return [...series, point].slice(-MAX_POINTS);
}

/** The candidate's threshold for this chart from the last analysis window, null before one ran. */
export function thresholdOf(d: DeploymentDetail, spec: ChartSpec): number | null {
  const check = d.metrics?.assessment?.checks.find((c) => spec.checks.includes(c.metric));
  return check ? candidateBound(check) : null;
}
