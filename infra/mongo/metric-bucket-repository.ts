import type { AnyBulkWriteOperation, Collection, Db, Filter } from 'mongodb';
import {
  HISTOGRAM_SIZE,
  SUM_FIELDS,
  coverWindow,
  emptyCounters,
  mergeCounters,
  seriesId,
  summarize,
  type BucketCounters,
  type MetricsSummary,
  type PredictionRole,
  type SeriesKey,
  mergeGroupCounts,
  type GroupCounts,
  type GroupCounters,
} from '../../domain/metrics';
import { isBusy } from './db-errors';
import { STATEMENTS_PER_COMMAND, updateInSmallCommands, type UpdateOutcome } from './update-commands';

/**
 * `metric_buckets`: counters per (resolution, model, environment, version, role, bucket start),
 * added to with `$inc` upserts, one document per writer: each api process (each aggregator)
 * has a writer id and only ever updates its own documents, serially; a window query sums all
 * writers' documents. So several gateway replicas add up even on servers whose `$inc` is not
 * atomic under concurrency (FerretDB 1.x loses concurrent increments to one document).
 * Field names: the BucketCounters sums, `h0`…`h26` for the latency histogram,
 * `latMin`/`latMax` ($min/$max), `w` the writer, and `fl`, the ids of the last flushes applied
 * (so a flush retried after an unknown outcome is applied once).
 */
export interface MetricBucketDoc extends SeriesKey, Partial<Record<(typeof SUM_FIELDS)[number], number>> {
  _id: string;
  res: number;
  bucketStart: Date;
  latMin?: number;
  latMax?: number;
  w: string;
  fl?: string[];
  /** Fairness group counts (feedback of versions with sensitiveAttributes): g.<attribute>.<value>.{n,correct,positive,absErr}, names URI-encoded. */
  g?: Record<string, Record<string, Partial<GroupCounters>>>;
  [histogramField: `h${number}`]: number | undefined;
}

/** Counters to add to one bucket. */
export interface BucketDelta {
  key: SeriesKey;
  resolutionS: number;
  bucketStartMs: number;
  counters: BucketCounters;
  /** Overrides the flush id of `apply` for this delta (feedback uses one per request id). */
  flushId?: string;
  /** Per-group ground truth of the version's sensitive attributes. */
  groups?: GroupCounts;
}

/** A field-name-safe form of an attribute or group name (no ".", no leading "$"). */
const fieldName = (s: string) => encodeURIComponent(s).replace(/\./g, '%2E');

function groupsOf(g: MetricBucketDoc['g']): GroupCounts {
  const out: GroupCounts = {};
  for (const [a, groups] of Object.entries(g ?? {})) {
    const decoded: GroupCounts[string] = {};
    for (const [v, c] of Object.entries(groups)) decoded[decodeURIComponent(v)] = { n: c.n ?? 0, correct: c.correct ?? 0, positive: c.positive ?? 0, absErr: c.absErr ?? 0 };
    mergeGroupCounts(out, { [decodeURIComponent(a)]: decoded });
  }
  return out;
}

export interface ApplyOptions {
  /** Recorded in each bucket's `fl`; a guarded retry skips buckets that have it. */
  flushId: string;
  /** True to retry a flush whose outcome is unknown (the connection failed mid-write). */
  guarded: boolean;
  /** The writer whose documents these are (one serial writer per id). */
  writer: string;
}

export interface ApplyOutcome {
  applied: number;
  /** Deltas the server refused (never expected; counted as dropped by the caller). */
  rejected: number;
}

/** How many flush ids a bucket remembers for retries. */
const FLUSH_MEMORY = 64;
const MAX_RACE_RETRIES = 4;
/** Waits for a busy FerretDB (SQLite locked by another writer): 100, 200, 400, 800, 1,600 ms. */
const BUSY_RETRIES = 5;
const BUSY_BACKOFF_MS = 100;

export function bucketDocId(d: Pick<BucketDelta, 'key' | 'resolutionS' | 'bucketStartMs'>, writer: string): string {
  return `${d.resolutionS}|${seriesId(d.key)}|${d.bucketStartMs}|${writer}`;
}

function countersOf(doc: MetricBucketDoc): BucketCounters {
  const c = emptyCounters();
  for (const f of SUM_FIELDS) c[f] = doc[f] ?? 0;
  c.latMin = doc.latMin ?? null;
  c.latMax = doc.latMax ?? null;
  for (let i = 0; i < HISTOGRAM_SIZE; i++) c.hist[i] = doc[`h${i}`] ?? 0;
  return c;
}

/** What a window query selects. Leaving environment, version or role out sums over all of them. */
export interface MetricWindowQuery {
  modelId: string;
  environment?: string;
  version?: string;
  role?: PredictionRole | readonly PredictionRole[];
  from: Date;
  to: Date;
}

/** The counters of one series within a window. */
export interface SeriesWindow {
  environment: string;
  version: string;
  versionId: string;
  role: PredictionRole;
  counters: BucketCounters;
  /** Fairness group counts of the series (empty without sensitive attributes). */
  groups: GroupCounts;
}

export interface MetricWindow {
  modelId: string;
  environment: string | null;
  version: string | null;
  role: PredictionRole | readonly PredictionRole[] | null;
  from: Date;
  to: Date;
  /** The 10-second buckets counted start in [coveredFrom, coveredTo) (from/to rounded up to 10 s). */
  coveredFrom: Date;
  coveredTo: Date;
  /** Sum over every matching series. */
  counters: BucketCounters;
  /** `counters` as metrics; throughput over (to - from). */
  summary: MetricsSummary;
  /** Per (environment, version, role). */
  series: SeriesWindow[];
}

export class MetricBucketRepository {
  readonly col: Collection<MetricBucketDoc>;
  constructor(db: Db) {
    this.col = db.collection<MetricBucketDoc>('metric_buckets');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ modelId: 1, res: 1, bucketStart: 1 }, { name: 'model_res_start' });
    await this.col.createIndex({ bucketStart: 1 }, { name: 'start' });
  }

  private operation(d: BucketDelta, o: ApplyOptions, guarded: boolean): AnyBulkWriteOperation<MetricBucketDoc> {
    const c = d.counters;
    const flushId = d.flushId ?? o.flushId;
    const inc: Record<string, number> = {};
    for (const f of SUM_FIELDS) if (c[f] !== 0) inc[f] = c[f];
    for (let i = 0; i < HISTOGRAM_SIZE; i++) if (c.hist[i]) inc[`h${i}`] = c.hist[i]!;
    for (const [a, groups] of Object.entries(d.groups ?? {}))
      for (const [v, gc] of Object.entries(groups))
        for (const f of ['n', 'correct', 'positive', 'absErr'] as const) if (gc[f] !== 0) inc[`g.${fieldName(a)}.${fieldName(v)}.${f}`] = gc[f];
    const { modelId, modelName, environment, version, versionId, role } = d.key;
    const update: Record<string, unknown> = {
      $inc: inc,
      $setOnInsert: { res: d.resolutionS, bucketStart: new Date(d.bucketStartMs), modelId, modelName, environment, version, versionId, role, w: o.writer },
      $push: { fl: { $each: [flushId], $slice: -FLUSH_MEMORY } },
    };
    if (c.latMin !== null) update.$min = { latMin: c.latMin };
    if (c.latMax !== null) update.$max = { latMax: c.latMax };
    const _id = bucketDocId(d, o.writer);
    const filter = (guarded ? { _id, fl: { $ne: flushId } } : { _id }) as Filter<MetricBucketDoc>;
    return { updateOne: { filter, update, upsert: true } };
  }

  /**
   * Adds deltas to the writer's documents with `$inc` upserts, unordered, in small commands
   * (update-commands.ts: FerretDB deadlocks on long ones). Calls
   * for one writer must not overlap. `guarded` is for a retry of a flush whose outcome is
   * unknown (the connection failed mid-write): buckets that already list the flush id are
   * skipped. An upsert that collides with a concurrent insert of the same document is retried.
   * A busy FerretDB (SQLITE_BUSY) is waited out, up to 3.1 s, with guarded retries.
   * Throws when MongoDB is unreachable (then nothing, some or all deltas may have been
   * applied: retry with the same options and guarded = true).
   */
  async apply(deltas: readonly BucketDelta[], o: ApplyOptions): Promise<ApplyOutcome> {
    let pending = deltas.filter((d) => SUM_FIELDS.some((f) => d.counters[f] !== 0)).map((d) => ({ d, guarded: o.guarded }));
    const total = pending.length;
    let rejected = 0;
    let busyRetries = 0;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_RACE_RETRIES) {
        rejected += pending.length;
        break;
      }
      let outcome: UpdateOutcome;
      try {
        // What a failed command leaves uncertain is repeated guarded (the bucket's flush ids make
        // a repeat a no-op).
        outcome = await updateInSmallCommands(
          this.col,
          pending.map((p) => this.operation(p.d, o, p.guarded)),
          STATEMENTS_PER_COMMAND,
          (i) => this.operation(pending[i].d, o, true),
        );
      } catch (e) {
        // FerretDB's SQLite was locked by another writer: wait and apply again, guarded (some
        // of the bulk may have landed). Anything else, or busy for too long, is the caller's.
        if (!isBusy(e) || busyRetries >= BUSY_RETRIES) throw e;
        await new Promise((r) => setTimeout(r, BUSY_BACKOFF_MS * 2 ** busyRetries++));
        pending = pending.map((p) => ({ ...p, guarded: true }));
        attempt--;
        continue;
      }
      const next: typeof pending = [];
      for (const w of outcome.errors) {
        const p = { ...pending[w.index], guarded: pending[w.index].guarded || w.repeated === true };
        if (w.code !== 11000) {
          rejected++;
          continue;
        }
        if (p.guarded) {
          // Either the flush was applied before (the guard excluded the bucket) or another
          // process created the bucket at the same moment: the bucket's flush ids tell.
          const doc = await this.col.findOne({ _id: bucketDocId(p.d, o.writer) }, { projection: { fl: 1 } });
          if (doc?.fl?.includes(p.d.flushId ?? o.flushId)) continue;
        }
        next.push(p);
      }
      pending = next;
    }
    return { applied: total - rejected, rejected };
  }

  /** Sums the buckets of a window, per series and overall. */
  async readWindow(q: MetricWindowQuery): Promise<MetricWindow> {
    const cover = coverWindow(q.from.getTime(), q.to.getTime());
    const base = {
      modelId: q.modelId,
      environment: q.environment ?? null,
      version: q.version ?? null,
      role: q.role ?? null,
      from: q.from,
      to: q.to,
      coveredFrom: new Date(cover.coveredFromMs),
      coveredTo: new Date(cover.coveredToMs),
    };
    const windowSeconds = Math.max(0, (q.to.getTime() - q.from.getTime()) / 1000);
    const bySeries = new Map<string, SeriesWindow>();
    if (cover.spans.length > 0) {
      const filter: Filter<MetricBucketDoc> = {
        modelId: q.modelId,
        $or: cover.spans.map((s) => ({ res: s.resolutionS, bucketStart: { $gte: new Date(s.fromMs), $lt: new Date(s.toMs) } })),
      };
      if (q.environment !== undefined) filter.environment = q.environment;
      if (q.version !== undefined) filter.version = q.version;
      if (q.role !== undefined) filter.role = typeof q.role === 'string' ? q.role : { $in: [...(q.role as PredictionRole[])] };
      const docs = await this.col.find(filter, { projection: { fl: 0, w: 0 } }).toArray();
      for (const doc of docs) {
        const id = seriesId(doc);
        let s = bySeries.get(id);
        if (!s) {
          s = { environment: doc.environment, version: doc.version, versionId: doc.versionId, role: doc.role, counters: emptyCounters(), groups: {} };
          bySeries.set(id, s);
        }
        mergeCounters(s.counters, countersOf(doc));
        if (doc.g) mergeGroupCounts(s.groups, groupsOf(doc.g));
      }
    }
    const series = [...bySeries.values()].sort((a, b) => a.version.localeCompare(b.version) || a.role.localeCompare(b.role) || a.environment.localeCompare(b.environment));
    const counters = emptyCounters();
    for (const s of series) mergeCounters(counters, s.counters);
    return { ...base, counters, summary: summarize(counters, windowSeconds), series };
  }

  async deleteOlderThan(before: Date): Promise<number> {
    const r = await this.col.deleteMany({ bucketStart: { $lt: before } });
    return r.deletedCount;
  }

  /** Deletes every bucket of a model (purge); returns how many. */
  async deleteByModel(modelId: string): Promise<number> {
    return (await this.col.deleteMany({ modelId })).deletedCount;
  }
}

/**
 * The metrics of one window, for the deployment workflows' analysis activity and the metrics
 * API. Example: readMetricWindow(db, {modelId, environment: 'Production', version: '2.0.0',
 * from: new Date(Date.now() - 300_000), to: new Date()}).summary.p99LatencyMs.
 */
export function readMetricWindow(db: Db, q: MetricWindowQuery): Promise<MetricWindow> {
  return new MetricBucketRepository(db).readWindow(q);
}
