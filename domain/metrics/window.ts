import type { BucketCounters } from './counters';
import { percentileFromHistogram } from './histogram';
import { accuracy, meanAbsoluteError, rootMeanSquaredError } from './quality';

/**
 * Time buckets. Every observation is counted at three resolutions (10 s, 5 min, 1 h), each
 * bucket aligned to its resolution in UTC. A window is read at 10-second resolution — the
 * 10-second buckets whose start lies in [from, to) — but assembled from the coarsest buckets
 * that fit, so a 7-day window reads about 250 buckets per series instead of 60,480.
 */
export const BUCKET_RESOLUTIONS_S = [10, 300, 3600] as const;
export const FINEST_RESOLUTION_S = BUCKET_RESOLUTIONS_S[0];

/** Start (ms) of the bucket of `resolutionS` seconds holding `timeMs`. */
export function bucketStartMs(timeMs: number, resolutionS: number): number {
  const size = resolutionS * 1000;
  return Math.floor(timeMs / size) * size;
}

/** Buckets of one resolution whose start lies in [fromMs, toMs). */
export interface BucketSpan {
  resolutionS: number;
  fromMs: number;
  toMs: number;
}

export interface WindowCover {
  spans: BucketSpan[];
  /** The interval the spans cover exactly: [from, to) rounded up to the finest resolution. */
  coveredFromMs: number;
  coveredToMs: number;
}

const ceilTo = (t: number, size: number) => Math.ceil(t / size) * size;
const floorTo = (t: number, size: number) => Math.floor(t / size) * size;

/**
 * Splits [fromMs, toMs) into aligned bucket spans, coarsest first. The 10-second buckets
 * starting in [from, to) are covered exactly once. Example: 00:59:50 → 02:00:25 gives
 * 1 h buckets [01:00, 02:00), 10 s buckets [00:59:50, 01:00) and [02:00, 02:00:30).
 */
export function coverWindow(fromMs: number, toMs: number, resolutionsS: readonly number[] = BUCKET_RESOLUTIONS_S): WindowCover {
  const finest = resolutionsS[0] * 1000;
  const from = ceilTo(fromMs, finest);
  const to = ceilTo(toMs, finest);
  const spans: BucketSpan[] = [];
  const cover = (f: number, t: number, level: number) => {
    if (f >= t) return;
    const size = resolutionsS[level] * 1000;
    if (level === 0) {
      spans.push({ resolutionS: resolutionsS[0], fromMs: f, toMs: t });
      return;
    }
    const a = ceilTo(f, size);
    const b = floorTo(t, size);
    if (a >= b) return cover(f, t, level - 1);
    spans.push({ resolutionS: resolutionsS[level], fromMs: a, toMs: b });
    cover(f, a, level - 1);
    cover(b, t, level - 1);
  };
  cover(from, Math.max(from, to), resolutionsS.length - 1);
  return { spans, coveredFromMs: from, coveredToMs: Math.max(from, to) };
}

/** The metrics of a window, as the metrics API and the deployment analysis read them. */
export interface MetricsSummary {
  totalRequests: number;
  successfulInferences: number;
  failedInferences: number;
  /** Failures the platform or model caused (5xx codes); client errors are not counted here. */
  serverErrors: number;
  clientErrors: number;
  /** serverErrors / totalRequests, or null without requests. */
  errorRate: number | null;
  cachedResponses: number;
  /** Latency of successful predictions (ms); null without any. */
  avgLatencyMs: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  p99LatencyMs: number | null;
  latencyStdDevMs: number | null;
  minLatencyMs: number | null;
  maxLatencyMs: number | null;
  /** totalRequests / window seconds. */
  throughputRps: number;
  /** Classification ground truth: correct / labelled; null without feedback. */
  accuracy: number | null;
  labelledCount: number;
  /** Regression ground truth; null without feedback. */
  mae: number | null;
  rmse: number | null;
  /** Shadow predictions with the primary's label / shadow predictions compared; null when none. */
  shadowAgreement: number | null;
  shadowCompared: number;
  /** Not computed yet (drift detection is a later feature). */
  driftScore: null;
}

/** Turns summed counters into the window's metrics. */
export function summarize(c: BucketCounters, windowSeconds: number): MetricsSummary {
  const failed = c.serverErrors + c.clientErrors;
  const mean = c.latCount > 0 ? c.latSum / c.latCount : null;
  const variance = c.latCount > 1 && mean !== null ? Math.max(0, (c.latSqSum - c.latCount * mean * mean) / (c.latCount - 1)) : null;
  const range = { min: c.latMin, max: c.latMax };
  return {
    totalRequests: c.count,
    successfulInferences: c.count - failed,
    failedInferences: failed,
    serverErrors: c.serverErrors,
    clientErrors: c.clientErrors,
    errorRate: c.count > 0 ? c.serverErrors / c.count : null,
    cachedResponses: c.cached,
    avgLatencyMs: mean,
    p50LatencyMs: percentileFromHistogram(c.hist, 0.5, range),
    p95LatencyMs: percentileFromHistogram(c.hist, 0.95, range),
    p99LatencyMs: percentileFromHistogram(c.hist, 0.99, range),
    latencyStdDevMs: variance === null ? null : Math.sqrt(variance),
    minLatencyMs: c.latMin,
    maxLatencyMs: c.latMax,
    throughputRps: windowSeconds > 0 ? c.count / windowSeconds : 0,
    accuracy: accuracy(c.correct, c.clsLabelled),
    labelledCount: c.clsLabelled + c.regLabelled,
    mae: meanAbsoluteError(c.absErrSum, c.regLabelled),
    rmse: rootMeanSquaredError(c.sqErrSum, c.regLabelled),
    shadowAgreement: c.shadowCompared > 0 ? c.shadowAgreed / c.shadowCompared : null,
    shadowCompared: c.shadowCompared,
    driftScore: null,
  };
}
