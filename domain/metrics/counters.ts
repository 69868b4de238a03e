import { ERROR_CATALOGUE } from '../errors';
import { addHistogram, emptyHistogram, latencyBucketIndex } from './histogram';

/**
 * What one metric bucket counts for one (model, environment, version, role). Every field is a
 * sum (or a min/max), so buckets from several processes and several time slices add up.
 */
export interface BucketCounters {
  /** Predictions recorded. */
  count: number;
  /** Failed predictions caused by the platform or the model (5xx codes, unknown codes). */
  serverErrors: number;
  /** Failed predictions caused by the request (4xx codes such as SCHEMA_VALIDATION_ERROR). */
  clientErrors: number;
  /** Predictions answered from the prediction cache. */
  cached: number;
  /** Latency statistics cover successful predictions only. */
  latCount: number;
  latSum: number;
  latSqSum: number;
  latMin: number | null;
  latMax: number | null;
  /** Latency histogram over LATENCY_BOUNDS_MS (HISTOGRAM_SIZE buckets). */
  hist: number[];
  /** Ground truth for classification: labelled predictions and how many were right. */
  clsLabelled: number;
  correct: number;
  /** Ground truth for regression: labelled predictions, sum of |error| and of error². */
  regLabelled: number;
  absErrSum: number;
  sqErrSum: number;
  /** Shadow predictions compared with their primary, and how many gave the same label. */
  shadowCompared: number;
  shadowAgreed: number;
}

/** The additive fields (everything but latMin/latMax/hist), in document order. */
export const SUM_FIELDS = [
  'count',
  'serverErrors',
  'clientErrors',
  'cached',
  'latCount',
  'latSum',
  'latSqSum',
  'clsLabelled',
  'correct',
  'regLabelled',
  'absErrSum',
  'sqErrSum',
  'shadowCompared',
  'shadowAgreed',
] as const satisfies readonly (keyof BucketCounters)[];
export type SumField = (typeof SUM_FIELDS)[number];

export function emptyCounters(): BucketCounters {
  return {
    count: 0,
    serverErrors: 0,
    clientErrors: 0,
    cached: 0,
    latCount: 0,
    latSum: 0,
    latSqSum: 0,
    latMin: null,
    latMax: null,
    hist: emptyHistogram(),
    clsLabelled: 0,
    correct: 0,
    regLabelled: 0,
    absErrSum: 0,
    sqErrSum: 0,
    shadowCompared: 0,
    shadowAgreed: 0,
  };
}

/** True for a catalogue code the caller caused (HTTP 4xx); unknown codes count as server errors. */
export function isClientErrorCode(code: string | undefined): boolean {
  if (!code) return false;
  const entry = (ERROR_CATALOGUE as Record<string, { status: number } | undefined>)[code];
  return entry !== undefined && entry.status >= 400 && entry.status < 500;
}

export interface PredictionObservation {
  status: 'Completed' | 'Failed';
  errorCode?: string;
  /** Gateway latency in ms; non-finite values are left out of the latency statistics. */
  latencyMs: number | null;
  cached?: boolean;
}

/** Counts one prediction. */
export function observePrediction(c: BucketCounters, o: PredictionObservation): void {
  c.count++;
  if (o.cached) c.cached++;
  if (o.status === 'Failed') {
    if (isClientErrorCode(o.errorCode)) c.clientErrors++;
    else c.serverErrors++;
    return;
  }
  const ms = o.latencyMs;
  if (ms === null || !Number.isFinite(ms) || ms < 0) return;
  c.latCount++;
  c.latSum += ms;
  c.latSqSum += ms * ms;
  if (c.latMin === null || ms < c.latMin) c.latMin = ms;
  if (c.latMax === null || ms > c.latMax) c.latMax = ms;
  c.hist[latencyBucketIndex(ms)]++;
}

export type GroundTruthObservation = { task: 'classification'; correct: boolean } | { task: 'regression'; error: number };

/** Counts one piece of ground truth against the prediction it labels. */
export function observeGroundTruth(c: BucketCounters, o: GroundTruthObservation): void {
  if (o.task === 'classification') {
    c.clsLabelled++;
    if (o.correct) c.correct++;
  } else {
    c.regLabelled++;
    c.absErrSum += Math.abs(o.error);
    c.sqErrSum += o.error * o.error;
  }
}

/** Counts one shadow prediction compared with its primary. */
export function observeShadowAgreement(c: BucketCounters, agreed: boolean): void {
  c.shadowCompared++;
  if (agreed) c.shadowAgreed++;
}

/** Adds `from` into `into`. */
export function mergeCounters(into: BucketCounters, from: BucketCounters): void {
  for (const f of SUM_FIELDS) into[f] += from[f];
  if (from.latMin !== null && (into.latMin === null || from.latMin < into.latMin)) into.latMin = from.latMin;
  if (from.latMax !== null && (into.latMax === null || from.latMax > into.latMax)) into.latMax = from.latMax;
  addHistogram(into.hist, from.hist);
}

/** The sum of several counters. */
export function sumCounters(all: Iterable<BucketCounters>): BucketCounters {
  const total = emptyCounters();
  for (const c of all) mergeCounters(total, c);
  return total;
}

/** True when nothing was counted. */
export function isEmptyCounters(c: BucketCounters): boolean {
  return SUM_FIELDS.every((f) => c[f] === 0) && c.hist.every((n) => n === 0);
}

