import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { PredictionRole } from '../../domain/metrics';

/** One logged prediction, as writers hand it in and readers get it back. */
export interface PredictionDoc {
  /** The request id (for a shadow copy: the primary's id + ":shadow"). */
  _id: string;
  requestId: string;
  time: Date;
  modelId: string;
  modelName: string;
  version: string;
  versionId: string;
  environment: string;
  role: PredictionRole;
  features: unknown;
  outputs: unknown;
  latencyMs: number | null;
  status: 'Completed' | 'Failed';
  errorCode?: string;
  traceId?: string;
  cached: boolean;
  serverId?: string;
  primaryRequestId?: string;
  /**
   * Written with features/outputs as JSON text (an entry the store refused as it was). Only
   * writers see it: `decodeSegment` parses the text back and drops the flag.
   */
  encoded?: 'json';
}

/** The fields every entry of one series (model, environment, version, role) shares. */
type SeriesFields = Pick<PredictionDoc, 'modelId' | 'modelName' | 'version' | 'versionId' | 'environment' | 'role'>;
/** An entry without its series fields; `t` is the time in epoch milliseconds. */
type PackedEntry = Omit<PredictionDoc, keyof SeriesFields | 'time' | 'requestId'> & { t: number };

interface Payload {
  v: 1;
  groups: { s: SeriesFields; e: PackedEntry[] }[];
}

/** How segments are written now; `decodeSegment` also reads the older codec(s) listed in DECODERS. */
export const SEGMENT_CODEC = 'json+brotli/1';

/** What the segment document stores besides the payload: enough to find it without decoding it. */
export interface SegmentIndex {
  /** Deterministic from the entry ids: writing the same batch twice hits the same `_id`. */
  _id: string;
  from: Date;
  to: Date;
  count: number;
  /** Every entry's `_id` (multikey index: lookups by request id). */
  ids: string[];
  /** `modelId|environment|versionId|role` of the entries (multikey index: reads of one series). */
  series: string[];
}

const DECODERS: Record<string, (data: Uint8Array) => Promise<Buffer>> = {
  'json+brotli/1': promisify(zlib.brotliDecompress),
  // Segments of the first days of the segmented log (raw deflate, level 1).
  'json+deflate-raw/1': promisify(zlib.inflateRaw),
};
/**
 * Quality 0 with a 256 KiB window: the fastest setting measured (≈ 1.2 µs per entry here, vs
 * ≈ 3.4 for deflate level 1) at ≈ 90 bytes per entry. Run synchronously: zlib's asynchronous
 * form costs more than the compression itself at these sizes (≈ 3.3 µs per entry).
 */
const BROTLI_OPTIONS = (size: number): zlib.BrotliOptions => ({
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 0,
    [zlib.constants.BROTLI_PARAM_LGWIN]: 18,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size,
  },
});

export const seriesKey = (s: Pick<PredictionDoc, 'modelId' | 'environment' | 'versionId' | 'role'>): string => `${s.modelId}|${s.environment}|${s.versionId}|${s.role}`;

/** An entry without its series fields, built field by field (a rest-spread copy costs more than the JSON). */
function packed(d: PredictionDoc, t: number): PackedEntry {
  const e: PackedEntry = { _id: d._id, t, features: d.features, outputs: d.outputs, latencyMs: d.latencyMs, status: d.status, cached: d.cached };
  if (d.errorCode !== undefined) e.errorCode = d.errorCode;
  if (d.traceId !== undefined) e.traceId = d.traceId;
  if (d.serverId !== undefined) e.serverId = d.serverId;
  if (d.primaryRequestId !== undefined) e.primaryRequestId = d.primaryRequestId;
  if (d.encoded !== undefined) e.encoded = d.encoded;
  return e;
}

/**
 * Packs predictions into one segment: entries grouped by series (the shared fields once per
 * group), JSON, then brotli at quality 0. Synchronous: ≈ 7 µs of the event loop per entry
 * (`npx tsx bench/prediction-log-micro.ts`), ≈ 1.4 ms per 200-entry segment; the log writes
 * with `encodeSegmentSliced`, which gives the event loop back between slices.
 * Example: 200 single-row fraud predictions ≈ 85 KB of entry JSON → ≈ 18 KB stored.
 */
export function encodeSegment(docs: readonly PredictionDoc[]): EncodedSegment {
  const steps = encodeSteps(docs, Infinity);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * `encodeSegment` in slices of `sliceEntries` entries, each in its own turn of the event loop
 * (`setImmediate` between them), so that requests arriving meanwhile wait for one slice
 * (≈ 0.15 ms), not for the whole segment. Same bytes as `encodeSegment`.
 */
export async function encodeSegmentSliced(docs: readonly PredictionDoc[], sliceEntries = 32): Promise<EncodedSegment> {
  const steps = encodeSteps(docs, sliceEntries);
  let step = steps.next();
  while (!step.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    step = steps.next();
  }
  return step.value;
}

export interface EncodedSegment {
  index: SegmentIndex;
  data: Buffer;
}

/** The encoding, yielding after every `slice` entries; the payload is `JSON.stringify(Payload)` built group by group. */
function* encodeSteps(docs: readonly PredictionDoc[], slice: number): Generator<void, EncodedSegment> {
  if (docs.length === 0) throw new Error('a segment needs at least one entry');
  const groups = new Map<string, { s: SeriesFields; e: string[] }>();
  let from = Infinity;
  let to = -Infinity;
  const ids: string[] = [];
  let sinceYield = 0;
  for (const d of docs) {
    const key = seriesKey(d);
    let g = groups.get(key);
    if (!g) {
      g = { s: { modelId: d.modelId, modelName: d.modelName, version: d.version, versionId: d.versionId, environment: d.environment, role: d.role }, e: [] };
      groups.set(key, g);
    }
    const t = d.time instanceof Date ? d.time.getTime() : new Date(d.time).getTime();
    if (!Number.isFinite(t)) throw new Error(`entry ${d._id} has no valid time`);
    from = Math.min(from, t);
    to = Math.max(to, t);
    ids.push(d._id);
    g.e.push(JSON.stringify(packed(d, t)));
    if (++sinceYield >= slice) {
      sinceYield = 0;
      yield;
    }
  }
  const parts: string[] = [];
  for (const g of groups.values()) parts.push(`{"s":${JSON.stringify(g.s)},"e":[${g.e.join(',')}]}`);
  const json = Buffer.from(`{"v":1,"groups":[${parts.join(',')}]}`);
  const data = zlib.brotliCompressSync(json, BROTLI_OPTIONS(json.length));
  const _id = createHash('sha256').update(ids.join('\n')).digest('base64url').slice(0, 32);
  return { index: { _id, from: new Date(from), to: new Date(to), count: docs.length, ids, series: [...groups.keys()] }, data };
}

/** The payload of a segment whose entries were all deleted (it stays as a placeholder, see PredictionLogRepository.removeEntries). */
export function emptySegmentData(): Buffer {
  const json = Buffer.from('{"v":1,"groups":[]}');
  return zlib.brotliCompressSync(json, BROTLI_OPTIONS(json.length));
}

/** JSON text back to its value (text that is not JSON stays text). */
function parsedText(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The entries of a segment, in the order they were written within each series. */
export async function decodeSegment(data: Uint8Array, codec: string = SEGMENT_CODEC): Promise<PredictionDoc[]> {
  const decompress = DECODERS[codec];
  if (!decompress) throw new Error(`unknown prediction segment codec ${codec}`);
  const payload = JSON.parse((await decompress(data)).toString('utf8')) as Payload;
  if (payload.v !== 1 || !Array.isArray(payload.groups)) throw new Error('unknown prediction segment payload');
  const out: PredictionDoc[] = [];
  for (const g of payload.groups) {
    for (const { t, ...e } of g.e) {
      const d: PredictionDoc = { ...e, ...g.s, requestId: e._id, time: new Date(t) };
      if (d.encoded === 'json') {
        d.features = parsedText(d.features);
        d.outputs = parsedText(d.outputs);
        delete d.encoded;
      }
      out.push(d);
    }
  }
  return out;
}
