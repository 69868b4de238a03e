import { randomBytes } from 'node:crypto';
import { AppError, errors, type ErrorDetail } from '../../domain/errors';
import { assertOutputSchema } from '../../domain/feature-schema';
import {
  BUCKET_RESOLUTIONS_S,
  bucketStartMs,
  emptyCounters,
  matchClass,
  mergeCounters,
  seriesId,
  observeGroundTruth,
  predictedLabel,
  predictedValue,
  sameLabel,
  mergeGroupCounts,
  observeGroups,
  positiveClass,
  type GroundTruthObservation,
  type GroupCounts,
} from '../../domain/metrics';
import type { Model } from '../../domain/models/model';
import type { Principal } from '../../domain/permissions';
import type { FeedbackDoc, FeedbackRepository } from '../../infra/mongo/feedback-repository';
import type { ApplyOutcome, BucketDelta } from '../../infra/mongo/metric-bucket-repository';
import type { ModelRepository } from '../../infra/mongo/model-repository';
import { shadowRequestId } from '../gateway/prediction-sink';
import type { PredictionDoc, PredictionLogRepository } from '../../infra/mongo/prediction-log-repository';
import type { VersionRepository } from '../../infra/mongo/version-repository';

type Label = string | number;

export interface FeedbackItem {
  requestId: string;
  label?: Label;
  value?: number;
}

export interface FeedbackResultItem {
  requestId: string;
  status: 'Recorded' | 'Duplicate';
  version: string;
  environment: string;
  role: string;
  /** Classification: whether the prediction matched the label. */
  correct?: boolean;
  /** Regression: prediction − truth. */
  error?: number;
  /** Shadow predictions of this request that were counted too. */
  shadowsCounted: number;
}

export interface FeedbackResult {
  modelId: string;
  modelName: string;
  recorded: number;
  duplicates: number;
  results: FeedbackResultItem[];
}

export interface FeedbackDeps {
  models: ModelRepository;
  versions: VersionRepository;
  predictions: Pick<PredictionLogRepository, 'findByRequestIds'>;
  feedback: FeedbackRepository;
  /** Applies ground-truth increments through the process's serial bucket writer (MetricAggregator.applyNow). */
  applyDeltas: (deltas: readonly BucketDelta[], opts: { flushId: string; guarded: boolean }) => Promise<ApplyOutcome>;
  /** Predictions of this process not yet in MongoDB (by request id, and shadows of those). */
  findBuffered: (ids: ReadonlySet<string>) => PredictionDoc[];
  /** When some ids are not found, look again after this long (another replica's buffer may still hold them). */
  missingRetryMs: number;
  now?: () => Date;
  /** Called after each submission with the milliseconds each step took (for a slow-request log). */
  onTimings?: (timings: Record<string, number>, items: number) => void;
}

/** A version's task, and the features whose groups are counted (its fairness.sensitiveAttributes), with its declared positive class. */
type Task = ({ task: 'classification'; classes?: Label[]; positive?: Label } | { task: 'regression' }) & { sensitiveAttributes: string[] };

/** What one item was compared with: the result of validation. */
interface Evaluated {
  index: number;
  item: FeedbackItem;
  prediction: PredictionDoc;
  observation: GroundTruthObservation;
  truth: { label?: Label; value?: number };
  predicted: { label?: Label; value?: number };
  /** The version's task and sensitive attributes. */
  task: Task;
}

/** Each call records the milliseconds since the previous one under `step`; returns all so far. */
function stepTimer(): (step: string) => Record<string, number> {
  const timings: Record<string, number> = {};
  let last = performance.now();
  return (step) => {
    const now = performance.now();
    timings[step] = Math.round(now - last);
    last = now;
    return timings;
  };
}

/** A repeated submission counts truth left uncounted by an earlier one only after this long (that one may still be running). */
const RECOUNT_AFTER_MS = 30_000;

/**
 * Ground truth for logged predictions (POST /api/v1/inference/{model}/feedback).
 *
 * Each request id must name a completed, non-shadow prediction of the model (searched in this
 * process's buffer, then in MongoDB, then once more after `missingRetryMs` for predictions
 * another replica has not written yet). A label must be one of the version's classes, a value
 * a finite number. The request is all-or-nothing for validation: any unknown id → 404
 * NOT_FOUND, any invalid item → 400 VALIDATION_ERROR, each with per-item details and nothing
 * stored. A request id keeps its first ground truth: sending the same again is idempotent
 * ("Duplicate", counted once); a different one → 409 CONFLICT.
 *
 * Accepted truth is stored in `feedback` and counted in the metric buckets of the prediction's
 * time and series (correct/labelled, or |error| and error² sums), and likewise for shadow
 * predictions of the same request (request id `<id>:shadow`) already in the log. Counting is
 * one merged bucket write per submission under a flush id kept on each feedback document,
 * then one `feedback_counts` document naming that flush id. A document left uncounted (the
 * process died in between: no such record, and not marked `counted`) is counted by a later
 * submission of the same truth, guarded by that flush id, and then marked `counted`.
 */
export class FeedbackService {
  constructor(private readonly deps: FeedbackDeps) {}

  async submit(modelRef: string, items: readonly FeedbackItem[], principal: Principal): Promise<FeedbackResult> {
    const model = await this.deps.models.findByIdOrName(modelRef);
    if (!model) throw errors.notFound('MODEL_NOT_FOUND', modelRef);

    const invalid: ErrorDetail[] = [];
    const unknown: ErrorDetail[] = [];
    const unique = new Map<string, { item: FeedbackItem; index: number }>();
    items.forEach((item, index) => {
      const seen = unique.get(item.requestId);
      if (!seen) unique.set(item.requestId, { item, index });
      else if (!sameTruth(seen.item, item)) invalid.push({ field: `feedback[${index}].requestId`, message: `appears twice with different ground truth (first at feedback[${seen.index}])` });
    });

    const ids = [...unique.keys()];
    const lap = stepTimer();
    const { predictions, shadows } = await this.lookUp(ids);
    lap('lookUp');
    const tasks = new Map<string, Promise<Task>>();
    const evaluated: Evaluated[] = [];
    for (const [id, { item, index }] of unique) {
      const p = predictions.get(id);
      const at = `feedback[${index}]`;
      if (!p || p.modelId !== model.modelId) {
        unknown.push({ field: `${at}.requestId`, message: `no prediction ${id} of model ${model.name} in the log (unknown, expired, or not written yet)` });
        continue;
      }
      if (p.role === 'shadow') {
        invalid.push({ field: `${at}.requestId`, message: 'names a shadow prediction; send the request id the caller received' });
        continue;
      }
      if (p.status !== 'Completed') {
        invalid.push({ field: `${at}.requestId`, message: `the prediction failed (${p.errorCode ?? 'Failed'}); there is nothing to compare` });
        continue;
      }
      let task = tasks.get(p.versionId);
      if (!task) {
        task = this.taskOf(model, p.versionId);
        tasks.set(p.versionId, task);
      }
      const e = evaluate(item, p, await task, at, invalid);
      if (e) evaluated.push({ ...e, index });
    }
    if (invalid.length > 0) throw new AppError('VALIDATION_ERROR', 'Feedback validation failed', [...invalid, ...unknown]);
    if (unknown.length > 0) throw new AppError('NOT_FOUND', `No prediction found for ${unknown.length} request id(s)`, unknown);

    // First truth wins: the same again is a duplicate, a different one a conflict.
    lap('evaluate');
    const existing = new Map((await this.deps.feedback.findByRequestIds(ids)).map((d) => [d._id, d]));
    lap('findExisting');
    const conflicts: ErrorDetail[] = [];
    const fresh: Evaluated[] = [];
    const again: Evaluated[] = [];
    for (const e of evaluated) {
      const prior = existing.get(e.item.requestId);
      if (!prior) fresh.push(e);
      else if (sameTruth(prior, e.truth)) again.push(e);
      else conflicts.push(conflictDetail(e, prior));
    }
    if (conflicts.length > 0) throw new AppError('CONFLICT', 'Ground truth already recorded with a different value', conflicts);

    const now = this.deps.now?.() ?? new Date();
    const countFlush = `fb-${randomBytes(8).toString('hex')}`;
    const { duplicates } = await this.deps.feedback.insertNew(fresh.map((e) => feedbackDoc(e, model, principal, now, countFlush)));
    lap('insert');
    const raced = fresh.filter((e) => duplicates.has(e.item.requestId));
    const inserted = fresh.filter((e) => !duplicates.has(e.item.requestId));
    if (raced.length > 0) {
      const winners = new Map((await this.deps.feedback.findByRequestIds(raced.map((e) => e.item.requestId))).map((d) => [d._id, d]));
      for (const e of raced) {
        const w = winners.get(e.item.requestId);
        if (w && !sameTruth(w, e.truth)) conflicts.push(conflictDetail(e, w));
        else {
          if (w) existing.set(w._id, w);
          again.push(e);
        }
      }
    }

    // Count: new truth under this submission's flush id; truth an earlier submission stored but
    // did not finish counting, guarded by that submission's flush id (applied at most once).
    const shadowCounts = new Map<string, number>();
    const deltasFor = (list: Evaluated[]) =>
      mergeDeltas(
        list.flatMap((e) => {
          const counted = (shadows.get(e.item.requestId) ?? []).flatMap((s) => {
            const obs = shadowObservation(s, e);
            return obs ? deltas(s, obs) : [];
          });
          shadowCounts.set(e.item.requestId, counted.length / BUCKET_RESOLUTIONS_S.length);
          return [...deltas(e.prediction, e.observation, groupsOf(e)), ...counted];
        }),
      );
    if (inserted.length > 0) {
      await this.deps.applyDeltas(deltasFor(inserted), { flushId: countFlush, guarded: false });
      await this.deps.feedback.markFlushCounted(countFlush, now);
    }
    lap('count');
    // Truth sent again whose first submission may have died before counting it.
    const suspects = new Map<string, Evaluated[]>();
    for (const e of again) {
      const prior = existing.get(e.item.requestId);
      if (!prior || prior.counted || now.getTime() - prior.receivedAt.getTime() < RECOUNT_AFTER_MS) continue;
      suspects.set(prior.countFlush, [...(suspects.get(prior.countFlush) ?? []), e]);
    }
    const countedFlushes = suspects.size > 0 ? await this.deps.feedback.countedFlushes([...suspects.keys()]) : new Set<string>();
    const uncounted = [...suspects].filter(([flushId]) => !countedFlushes.has(flushId));
    for (const [flushId, list] of uncounted) await this.deps.applyDeltas(deltasFor(list), { flushId, guarded: true });
    if (uncounted.length > 0) await this.deps.feedback.markCounted(uncounted.flatMap(([, list]) => list.map((e) => e.item.requestId)));
    this.deps.onTimings?.(lap('recount'), ids.length);
    if (conflicts.length > 0) throw new AppError('CONFLICT', 'Ground truth already recorded with a different value', conflicts);

    const insertedIds = new Set(inserted.map((e) => e.item.requestId));
    const results = [...inserted, ...again]
      .sort((a, b) => a.index - b.index)
      .map((e): FeedbackResultItem => ({
        requestId: e.item.requestId,
        status: insertedIds.has(e.item.requestId) ? 'Recorded' : 'Duplicate',
        version: e.prediction.version,
        environment: e.prediction.environment,
        role: e.prediction.role,
        ...(e.observation.task === 'classification' ? { correct: e.observation.correct } : { error: e.observation.error }),
        shadowsCounted: shadowCounts.get(e.item.requestId) ?? 0,
      }));
    return { modelId: model.modelId, modelName: model.name, recorded: inserted.length, duplicates: again.length, results };
  }

  /** Predictions by id and shadow predictions by primary id: buffer first, then MongoDB (twice if needed). */
  private async lookUp(ids: string[]): Promise<{ predictions: Map<string, PredictionDoc>; shadows: Map<string, PredictionDoc[]> }> {
    const predictions = new Map<string, PredictionDoc>();
    const shadowDocs = new Map<string, PredictionDoc>();
    const wanted = new Set(ids);
    const take = (d: PredictionDoc) => {
      if (wanted.has(d._id)) predictions.set(d._id, d);
      if (d.role === 'shadow' && d.primaryRequestId !== undefined && wanted.has(d.primaryRequestId)) shadowDocs.set(d._id, d);
    };
    this.deps.findBuffered(wanted).forEach(take);
    const fetch = async () => {
      const missing = ids.filter((id) => !predictions.has(id));
      const shadowIds = ids.map(shadowRequestId).filter((id) => !shadowDocs.has(id));
      (await this.deps.predictions.findByRequestIds([...missing, ...shadowIds])).forEach(take);
      return missing.length > 0 && ids.some((id) => !predictions.has(id));
    };
    if ((await fetch()) && this.deps.missingRetryMs > 0) {
      await new Promise((r) => setTimeout(r, this.deps.missingRetryMs));
      this.deps.findBuffered(wanted).forEach(take);
      await fetch();
    }
    const shadows = new Map<string, PredictionDoc[]>();
    for (const s of shadowDocs.values()) {
      const list = shadows.get(s.primaryRequestId!) ?? [];
      list.push(s);
      shadows.set(s.primaryRequestId!, list);
    }
    return { predictions, shadows };
  }

  /** The version's task from its outputSchema, else from the model type. */
  private async taskOf(model: Model, versionId: string): Promise<Task> {
    const v = await this.deps.versions.find(model.modelId, versionId);
    if (v) {
      try {
        const ext = assertOutputSchema(v.outputSchema)['x-hotswap-outputs'];
        const sensitiveAttributes = v.fairness?.sensitiveAttributes ?? [];
        return ext.task === 'classification' ? { task: 'classification', classes: ext.classes, positive: v.fairness?.positiveClass, sensitiveAttributes } : { task: 'regression', sensitiveAttributes };
      } catch {
        /* no x-hotswap-outputs: fall back to the model type */
      }
    }
    const sensitiveAttributes = v?.fairness?.sensitiveAttributes ?? [];
    return model.type === 'Regression' ? { task: 'regression', sensitiveAttributes } : { task: 'classification', sensitiveAttributes };
  }
}

function evaluate(item: FeedbackItem, p: PredictionDoc, task: Task, at: string, invalid: ErrorDetail[]): Omit<Evaluated, 'index'> | undefined {
  if (task.task === 'classification') {
    if (item.label === undefined) {
      invalid.push({ field: `${at}.label`, message: `version ${p.version} is a classifier: send "label"` });
      return undefined;
    }
    const label = task.classes ? matchClass(item.label, task.classes) : item.label;
    if (label === undefined) {
      invalid.push({ field: `${at}.label`, message: `${JSON.stringify(item.label)} is not a class of version ${p.version} (${task.classes!.map(String).join(', ')})` });
      return undefined;
    }
    const predicted = predictedLabel(p.outputs);
    if (predicted === undefined) {
      invalid.push({ field: `${at}.requestId`, message: 'the logged prediction has no label to compare' });
      return undefined;
    }
    return { item, prediction: p, truth: { label }, predicted: { label: predicted }, observation: { task: 'classification', correct: sameLabel(label, predicted) }, task };
  }
  if (item.value === undefined) {
    invalid.push({ field: `${at}.value`, message: `version ${p.version} is a regression model: send "value"` });
    return undefined;
  }
  const predicted = predictedValue(p.outputs);
  if (predicted === undefined) {
    invalid.push({ field: `${at}.requestId`, message: 'the logged prediction has no value to compare' });
    return undefined;
  }
  return { item, prediction: p, truth: { value: item.value }, predicted: { value: predicted }, observation: { task: 'regression', error: predicted - item.value }, task };
}

/** A shadow prediction judged against the same truth (when it completed and has a prediction). */
function shadowObservation(s: PredictionDoc, e: Evaluated): GroundTruthObservation | undefined {
  if (s.status !== 'Completed') return undefined;
  if (e.truth.label !== undefined) {
    const l = predictedLabel(s.outputs);
    return l === undefined ? undefined : { task: 'classification', correct: sameLabel(l, e.truth.label) };
  }
  const v = predictedValue(s.outputs);
  return v === undefined || e.truth.value === undefined ? undefined : { task: 'regression', error: v - e.truth.value };
}

/** The primary prediction's fairness group counts, from its logged features (none without sensitive attributes). */
function groupsOf(e: Evaluated): GroupCounts | undefined {
  const attributes = e.task.sensitiveAttributes;
  if (attributes.length === 0) return undefined;
  if (e.observation.task === 'regression') return observeGroups(attributes, e.prediction.features, e.observation);
  const positive = e.task.task === 'classification' ? (e.task.positive ?? positiveClass(e.task.classes)) : undefined;
  const predictedPositive = positive !== undefined && e.predicted.label !== undefined && sameLabel(e.predicted.label, positive);
  return observeGroups(attributes, e.prediction.features, { task: 'classification', correct: e.observation.correct, positive: predictedPositive });
}

/** One prediction's ground-truth increment at every resolution. */
function deltas(p: PredictionDoc, o: GroundTruthObservation, groups?: GroupCounts): BucketDelta[] {
  const counters = emptyCounters();
  observeGroundTruth(counters, o);
  const key = { modelId: p.modelId, modelName: p.modelName, environment: p.environment, version: p.version, versionId: p.versionId, role: p.role };
  const t = p.time.getTime();
  return BUCKET_RESOLUTIONS_S.map((resolutionS) => ({ key, resolutionS, bucketStartMs: bucketStartMs(t, resolutionS), counters, ...(groups && { groups }) }));
}

/** One delta per bucket: a submission writes each bucket once however many items it holds. */
function mergeDeltas(list: BucketDelta[]): BucketDelta[] {
  const out = new Map<string, BucketDelta>();
  for (const d of list) {
    const id = `${d.resolutionS}|${seriesId(d.key)}|${d.bucketStartMs}`;
    const existing = out.get(id);
    if (existing) {
      mergeCounters(existing.counters, d.counters);
      if (d.groups) mergeGroupCounts((existing.groups ??= {}), d.groups);
    } else {
      const counters = emptyCounters();
      mergeCounters(counters, d.counters);
      const groups: GroupCounts | undefined = d.groups ? {} : undefined;
      if (groups) mergeGroupCounts(groups, d.groups);
      out.set(id, { ...d, counters, ...(groups && { groups }) });
    }
  }
  return [...out.values()];
}

function sameTruth(a: { label?: Label; value?: number }, b: { label?: Label; value?: number }): boolean {
  if (a.label !== undefined || b.label !== undefined) return a.label !== undefined && b.label !== undefined && sameLabel(a.label, b.label);
  return a.value === b.value;
}

function conflictDetail(e: Evaluated, prior: FeedbackDoc): ErrorDetail {
  const was = prior.label !== undefined ? `label ${JSON.stringify(prior.label)}` : `value ${prior.value}`;
  return { field: `feedback[${e.index}]`, message: `request ${e.item.requestId} already has ground truth (${was}); it cannot change` };
}

function feedbackDoc(e: Evaluated, model: Model, principal: Principal, now: Date, countFlush: string): FeedbackDoc {
  const p = e.prediction;
  const doc: FeedbackDoc = {
    _id: p._id,
    requestId: p._id,
    modelId: model.modelId,
    modelName: model.name,
    version: p.version,
    versionId: p.versionId,
    environment: p.environment,
    role: p.role,
    predictionTime: p.time,
    task: e.observation.task,
    receivedAt: now,
    by: principal.username,
    countFlush,
    counted: false,
  };
  if (e.truth.label !== undefined) doc.label = e.truth.label;
  if (e.truth.value !== undefined) doc.value = e.truth.value;
  if (e.predicted.label !== undefined) doc.predictedLabel = e.predicted.label;
  if (e.predicted.value !== undefined) doc.predictedValue = e.predicted.value;
  if (e.observation.task === 'classification') doc.correct = e.observation.correct;
  else doc.error = e.observation.error;
  return doc;
}
