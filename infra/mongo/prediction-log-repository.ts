import { Binary, MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import { addressedSegmentId, addressOf, slotKey } from './prediction-log-address';
import { decodeSegment, emptySegmentData, encodeSegmentSliced, SEGMENT_CODEC, seriesKey, type EncodedSegment, type PredictionDoc, type SegmentIndex } from './prediction-segment-codec';
import { escapeRegex } from './escape-regex';
import { ensureTtlIndex } from './ttl-index';

export type { PredictionDoc } from './prediction-segment-codec';

export interface InsertOutcome {
  inserted: number;
  /** Already in the log (a replay, or a retry after an unknown outcome). */
  duplicates: number;
  /** Documents the server refused (not a duplicate): index in the batch and reason. */
  rejected: { index: number; message: string }[];
}

const DUPLICATE_KEY = 11000;
/** A segment whose compressed payload exceeds this is split in two (MongoDB's document limit is 16 MiB). */
const MAX_SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * A stored segment: its index fields, and the packed entries (`prediction-segment-codec.ts`).
 * Segments of HotSwap-minted ids (prediction-log-address.ts) have an `_id` from their address,
 * keep the entry-id hash in `h` instead, and no `ids`.
 */
export interface PredictionSegmentDoc extends Omit<SegmentIndex, 'ids'> {
  ids?: string[];
  h?: string;
  codec: string;
  data: Binary;
}

/** Segments of one address slot read per round trip when looking entries up. */
const SLOT_READ_WINDOW = 4;
/** Address slots whose next seq this process remembers (older ones are probed from 0 again). */
const REMEMBERED_SLOTS = 2048;

/** One series of the log (model, environment, version, role) over [from, to). */
export interface SeriesQuery {
  modelId: string;
  environment: string;
  versionId: string;
  role: PredictionDoc['role'];
  from: Date;
  to: Date;
  status?: PredictionDoc['status'];
}

/**
 * The prediction log in `prediction_log`: each document is a segment holding (part of) one
 * written batch of predictions, packed and compressed (docs/ARCHITECTURE.md, "The prediction
 * log is stored in segments"). Entries with ids the gateway minted are filed by address
 * (`<writer>:<second>:<seq>`, prediction-log-address.ts) and looked up by `_id`; entries with
 * ids callers chose are looked up through a multikey index on `ids`. Reads of one series use
 * `series` and the segment's time range; retention deletes whole segments by their newest
 * entry (`to`). Storage is at-least-once (a replay after a write of unknown outcome can store
 * an entry twice); every read returns each entry once.
 */
export class PredictionLogRepository {
  readonly col: Collection<PredictionSegmentDoc>;
  constructor(db: Db) {
    this.col = db.collection<PredictionSegmentDoc>('prediction_log');
  }

  /**
   * Indexes: `to` with a TTL of `retentionDays` (MongoDB deletes expired segments itself;
   * servers without TTL support — FerretDB — get a plain index, and the periodic sweep does
   * the deleting), `ids` and (`series`, `to`). Returns whether the server enforces the TTL.
   */
  async ensureIndexes(retentionDays: number): Promise<{ ttl: boolean }> {
    await Promise.all([this.col.createIndex({ ids: 1 }, { name: 'ids' }), this.col.createIndex({ series: 1, to: -1 }, { name: 'series_to' })]);
    return ensureTtlIndex(this.col, 'to', 'to_ttl', Math.round(retentionDays * 86400));
  }

  /**
   * Stores a batch: one segment per address slot of its HotSwap-minted ids, one for the rest
   * (each split in two when it compresses to over 8 MiB). A segment that is already stored (the
   * same entries written again after an unknown outcome) counts as duplicates. Entries that
   * cannot be encoded are rejected one by one (the rest is stored); a refusal by the server is
   * thrown as such, and every other failure throws (see `isOutage`) and the caller keeps the batch.
   */
  async insertBatch(docs: readonly PredictionDoc[]): Promise<InsertOutcome> {
    const out: InsertOutcome = { inserted: 0, duplicates: 0, rejected: [] };
    const groups = new Map<string, number[]>();
    for (let i = 0; i < docs.length; i++) {
      const a = addressOf(docs[i]._id);
      const key = a ? slotKey(a) : '';
      const list = groups.get(key);
      if (list) list.push(i);
      else groups.set(key, [i]);
    }
    for (const [slot, at] of groups) addOutcome(out, await this.insertGroup(at.map((i) => docs[i]), slot || undefined), (i) => at[i]);
    return out;
  }

  /** Entries of one address slot (or, without `slot`, entries with ids callers chose) as segments. */
  private async insertGroup(docs: readonly PredictionDoc[], slot: string | undefined): Promise<InsertOutcome> {
    if (docs.length === 0) return { inserted: 0, duplicates: 0, rejected: [] };
    let segment: EncodedSegment;
    try {
      segment = await encodeSegmentSliced(docs);
    } catch (e) {
      // An entry that cannot be encoded (no valid time, unserialisable values) is refused on its
      // own; it must not look like an outage, which would keep the whole batch for ever.
      if (docs.length === 1) return { inserted: 0, duplicates: 0, rejected: [{ index: 0, message: `cannot encode: ${(e as Error).message}` }] };
      const out: InsertOutcome = { inserted: 0, duplicates: 0, rejected: [] };
      for (let i = 0; i < docs.length; i++) addOutcome(out, await this.insertGroup([docs[i]], slot), () => i);
      return out;
    }
    const { index, data } = segment;
    if (data.length > MAX_SEGMENT_BYTES && docs.length > 1) {
      const half = Math.ceil(docs.length / 2);
      const out = await this.insertGroup(docs.slice(0, half), slot);
      addOutcome(out, await this.insertGroup(docs.slice(half), slot), (i) => i + half);
      return out;
    }
    const stored = slot === undefined ? await this.insertById({ ...index, codec: SEGMENT_CODEC, data: new Binary(data) }) : await this.insertAddressed(slot, index, data);
    return stored ? { inserted: docs.length, duplicates: 0, rejected: [] } : { inserted: 0, duplicates: docs.length, rejected: [] };
  }

  /** Inserts a segment; false when one with its `_id` (the same entries) is already stored. */
  private async insertById(doc: PredictionSegmentDoc): Promise<boolean> {
    try {
      await this.col.insertOne(doc);
      return true;
    } catch (e) {
      if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) return false;
      throw e;
    }
  }

  /**
   * Inserts a segment as the next seq of its address slot. The seq this process used last is
   * remembered; a taken seq holding other entries (another writer, or a slot this process
   * forgot) moves on to the next, so seqs stay gapless. False when the same entries are there.
   */
  private async insertAddressed(slot: string, index: SegmentIndex, data: Buffer): Promise<boolean> {
    const { ids: _ids, _id: h, ...rest } = index;
    for (let seq = this.nextSeq.get(slot) ?? 0; ; seq++) {
      const _id = addressedSegmentId(slot, seq);
      try {
        await this.col.insertOne({ ...rest, _id, h, codec: SEGMENT_CODEC, data: new Binary(data) });
        this.rememberSeq(slot, seq + 1);
        return true;
      } catch (e) {
        if (!(e instanceof MongoServerError) || e.code !== DUPLICATE_KEY) throw e;
        const there = await this.col.findOne({ _id }, { projection: { h: 1 } });
        if (there?.h === h) {
          this.rememberSeq(slot, seq + 1);
          return false;
        }
      }
    }
  }

  private readonly nextSeq = new Map<string, number>();

  private rememberSeq(slot: string, next: number): void {
    // Forgetting is safe (a forgotten slot is probed from seq 0), so a full memory just starts over.
    if (this.nextSeq.size >= REMEMBERED_SLOTS && !this.nextSeq.has(slot)) this.nextSeq.clear();
    this.nextSeq.set(slot, next);
  }

  async ping(): Promise<void> {
    await this.col.db.command({ ping: 1 });
  }

  /**
   * The entries with these ids (each once): HotSwap-minted ids from their address slots (reads
   * by `_id`), others through the `ids` index.
   */
  async findByRequestIds(ids: readonly string[]): Promise<PredictionDoc[]> {
    if (ids.length === 0) return [];
    const wanted = new Set(ids);
    const slots = new Set<string>();
    const chosen: string[] = [];
    for (const id of wanted) {
      const a = addressOf(id);
      if (a) slots.add(slotKey(a));
      else chosen.push(id);
    }
    const out = new Map<string, PredictionDoc>();
    const take = async (segments: Iterable<Pick<PredictionSegmentDoc, 'codec' | 'data'>> | AsyncIterable<Pick<PredictionSegmentDoc, 'codec' | 'data'>>) => {
      for await (const seg of segments) for (const d of await decodeSegment(seg.data.buffer, seg.codec)) if (wanted.has(d._id) && !out.has(d._id)) out.set(d._id, d);
    };
    await Promise.all([...slots].map(async (slot) => take(await this.slotSegments(slot))));
    if (chosen.length > 0) {
      const filter: Filter<PredictionSegmentDoc> = chosen.length === 1 ? { ids: chosen[0] } : { ids: { $in: chosen } };
      await take(this.col.find(filter, { projection: { codec: 1, data: 1 } }));
    }
    return [...out.values()];
  }

  /** Every segment of one address slot: seq 0, 1, 2, … read by `_id` until the first that is missing. */
  private async slotSegments(slot: string): Promise<PredictionSegmentDoc[]> {
    const found: PredictionSegmentDoc[] = [];
    for (let seq = 0; ; seq += SLOT_READ_WINDOW) {
      const window = await Promise.all(Array.from({ length: SLOT_READ_WINDOW }, (_, i) => this.col.findOne({ _id: addressedSegmentId(slot, seq + i) }, { projection: { codec: 1, data: 1 } })));
      for (const seg of window) {
        if (!seg) return found;
        found.push(seg);
      }
    }
  }

  /** The newest `limit` entries of one series in [from, to) (optionally of one status), newest first. */
  async findSeries(q: SeriesQuery, limit: number): Promise<PredictionDoc[]> {
    const from = q.from.getTime();
    const to = q.to.getTime();
    const cursor = this.col.find({ series: seriesKey(q), from: { $lt: q.to }, to: { $gte: q.from } }, { projection: { to: 1, codec: 1, data: 1 } }).sort({ to: -1 });
    const key = seriesKey(q);
    const found = new Map<string, PredictionDoc>();
    let oldestKept = -Infinity;
    for await (const seg of cursor) {
      // Segments come newest `to` first: once `limit` entries are newer than this whole segment, stop.
      if (found.size >= limit && seg.to.getTime() < oldestKept) break;
      for (const d of await decodeSegment(seg.data.buffer, seg.codec)) {
        const t = d.time.getTime();
        if (t < from || t >= to || seriesKey(d) !== key || (q.status && d.status !== q.status) || found.has(d._id)) continue;
        found.set(d._id, d);
      }
      if (found.size >= limit) oldestKept = newestFirst([...found.values()])[limit - 1].time.getTime();
    }
    return newestFirst([...found.values()]).slice(0, limit);
  }

  /** Every entry in the log, each once (tests and tools: it reads the whole collection). */
  async readAll(): Promise<PredictionDoc[]> {
    return this.decodeMatching({}, () => true);
  }

  /** How many distinct entries the log holds (tests and tools: it reads the whole collection). */
  async countEntries(): Promise<number> {
    const ids = new Set<string>();
    for await (const seg of this.col.find({}, { projection: { ids: 1, codec: 1, data: 1 } })) {
      if (seg.ids) for (const id of seg.ids) ids.add(id);
      else for (const d of await decodeSegment(seg.data.buffer, seg.codec)) ids.add(d._id);
    }
    return ids.size;
  }

  /** Deletes the segments whose newest entry is older than `before`; returns how many entries they held. */
  async deleteOlderThan(before: Date): Promise<number> {
    const old = await this.col.find({ to: { $lt: before } }, { projection: { count: 1 } }).toArray();
    if (old.length === 0) return 0;
    await this.col.deleteMany({ _id: { $in: old.map((s) => s._id) } });
    return old.reduce((n, s) => n + s.count, 0);
  }

  /** Deletes every entry of a model (purge); returns how many. */
  async deleteModel(modelId: string): Promise<number> {
    const segments = this.col.find({ series: { $regex: `^${escapeRegex(modelId)}\\|` } }, { projection: { codec: 1, data: 1, ids: 1 } });
    return this.removeEntries(segments, (d) => d.modelId === modelId);
  }

  /**
   * Deletes the entries of one request of a model: its own, its batch rows (`<id>:<n>`) and its
   * shadow copies (`<id>:shadow`); returns how many.
   */
  async deleteRequest(modelId: string, requestId: string): Promise<number> {
    const a = addressOf(requestId);
    const segments = a ? await this.slotSegments(slotKey(a)) : this.col.find({ ids: { $regex: `^${escapeRegex(requestId)}(:|$)` } }, { projection: { codec: 1, data: 1, ids: 1 } });
    const ofRequest = (d: PredictionDoc) => d._id === requestId || d._id.startsWith(`${requestId}:`) || d.primaryRequestId === requestId;
    return this.removeEntries(segments, (d) => d.modelId === modelId && ofRequest(d));
  }

  /**
   * Rewrites each segment holding entries `drop` picks with the other entries (possibly none).
   * Why rewritten in place and never deleted: an address slot's segments are read seq 0, 1, 2, …
   * up to the first missing one, so a deleted segment would hide those after it; and the kept
   * `_id` (and `h`) makes a replay of the same batch count as a duplicate instead of storing the
   * deleted entries again. Retention deletes the emptied segments with the rest.
   */
  private async removeEntries(segments: Iterable<PredictionSegmentDoc> | AsyncIterable<PredictionSegmentDoc>, drop: (d: PredictionDoc) => boolean): Promise<number> {
    let removed = 0;
    for await (const seg of segments) {
      const entries = await decodeSegment(seg.data.buffer, seg.codec);
      const keep = entries.filter((d) => !drop(d));
      if (keep.length === entries.length) continue;
      removed += entries.length - keep.length;
      if (keep.length === 0) {
        await this.col.updateOne({ _id: seg._id }, { $set: { count: 0, series: [], codec: SEGMENT_CODEC, data: new Binary(emptySegmentData()), ...(seg.ids && { ids: [] }) } });
        continue;
      }
      const { index, data } = await encodeSegmentSliced(keep);
      await this.col.updateOne({ _id: seg._id }, { $set: { from: index.from, to: index.to, count: index.count, series: index.series, codec: SEGMENT_CODEC, data: new Binary(data), ...(seg.ids && { ids: index.ids }) } });
    }
    return removed;
  }

  private async decodeMatching(filter: Filter<PredictionSegmentDoc>, keep: (d: PredictionDoc) => boolean): Promise<PredictionDoc[]> {
    const out = new Map<string, PredictionDoc>();
    for await (const seg of this.col.find(filter, { projection: { codec: 1, data: 1 } })) {
      for (const d of await decodeSegment(seg.data.buffer, seg.codec)) if (!out.has(d._id) && keep(d)) out.set(d._id, d);
    }
    return [...out.values()];
  }
}

/** Adds a part's outcome to `into`; `toIndex` maps the part's entry indexes to the whole batch's. */
function addOutcome(into: InsertOutcome, part: InsertOutcome, toIndex: (i: number) => number): void {
  into.inserted += part.inserted;
  into.duplicates += part.duplicates;
  for (const r of part.rejected) into.rejected.push({ ...r, index: toIndex(r.index) });
}


const newestFirst = (docs: PredictionDoc[]) => docs.sort((a, b) => b.time.getTime() - a.time.getTime());
