import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Where the prediction log files an entry, so that a lookup by request id is a read by `_id`
 * (the one query every MongoDB-compatible server answers from an index; FerretDB scans the
 * whole collection for anything else).
 *
 * The gateway mints request ids as UUIDv7 that carry the time they were minted (48 bits, ms),
 * a HotSwap tag (the 12 bits of `rand_a`) and the minting process (16 bits of `rand_b`), with
 * 46 random bits. Entries whose id (up to the first ':', so batch rows `id:3` and shadow
 * copies `id:shadow` too) is such an id are stored in segments with `_id`
 * `<writer>:<second>:<seq>`; seq counts 0, 1, 2, … with no gaps. Finding an entry reads those
 * documents by `_id`, a few per second of traffic. Any other id (one the caller chose with
 * X-Request-Id) is found through the `ids` index instead.
 *
 * Example: `0193a6f0-3c2e-74a5-8d1f-5a3b9c0e7f12` → minted at 0x0193a6f03c2e ms by writer
 * 5a3b: its entry is in `5a3b:1732790000:0`, `5a3b:1732790000:1`, …
 */

/** `rand_a` of the ids HotSwap mints (a UUIDv7 from elsewhere matches by chance 1 in 4,096). */
const TAG = '4a5';
/** This process's writer id: 4 hex digits, random per process (two alike only cost a retried write). */
const WRITER = randomBytes(2).toString('hex');
/** One address slot is this many milliseconds of minting time. */
export const SLOT_MS = 1000;

const MINTED = /^[0-9a-f]{8}-[0-9a-f]{4}-74a5-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A new request id: UUIDv7 (time-ordered) carrying this process's writer id. */
export function mintRequestId(now: number = Date.now(), writer: string = WRITER): string {
  const t = now.toString(16).padStart(12, '0');
  // randomUUID: 8-4-4-4-12, version 4; keep its random variant group and last 8 digits.
  const r = randomUUID();
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${TAG}-${r.slice(19, 23)}-${writer}${r.slice(28, 36)}`;
}

export interface EntryAddress {
  writer: string;
  /** The minting time's slot: floor(ms / SLOT_MS). */
  slot: number;
}

/** The address of an entry by its request id, or undefined when the id was not minted by HotSwap. */
export function addressOf(requestId: string): EntryAddress | undefined {
  const colon = requestId.indexOf(':');
  const base = colon < 0 ? requestId : requestId.slice(0, colon);
  if (base.length !== 36 || !MINTED.test(base)) return undefined;
  const ms = parseInt(base.slice(0, 8) + base.slice(9, 13), 16);
  return { writer: base.slice(24, 28), slot: Math.floor(ms / SLOT_MS) };
}

/** The key of an address slot: `<writer>:<slot>`. */
export const slotKey = (a: EntryAddress): string => `${a.writer}:${a.slot}`;

/** The `_id` of the seq-th segment of an address slot. */
export const addressedSegmentId = (slot: string, seq: number): string => `${slot}:${seq}`;
