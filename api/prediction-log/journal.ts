import fs from 'node:fs';
import path from 'node:path';
import type { PredictionDoc } from '../../infra/mongo/prediction-log-repository';
import { claimInstance, releaseInstance, segmentFileName } from './spill-store';

export interface PredictionJournalOptions {
  /** The spill folder: journal segments of a dead process are replayed from there like spill segments. */
  dir: string;
  /** Lowercase letters and digits, unique among the instances of this process. */
  instanceId: string;
  /** A new segment starts when the current one is older than this… */
  rotateMs?: number;
  /** …or larger than this. */
  maxSegmentBytes?: number;
  /** A write that failed outside `commit`'s caller (the end-of-turn commit). */
  onError?: (e: unknown) => void;
}

interface Segment {
  file: string;
  fd: number | undefined;
  openedAt: number;
  bytes: number;
  /** Entries appended here that are not yet in MongoDB or in a spill segment. */
  outstanding: number;
}

/**
 * The prediction log's write-ahead journal. The gateway records a prediction and commits the
 * journal before it answers (one synchronous write(2) for all entries of the request): once the
 * answer has left, the entry is in the kernel's page cache, so a SIGKILL of the api (or a crash) loses none of what it
 * answered. The batching writer settles entries as they reach MongoDB or a spill segment; a
 * segment with nothing outstanding is deleted, so the folder holds about `rotateMs` of traffic.
 *
 * Segments are named like spill segments with the state `journal`
 * (`spill-<startMs>-<instance>-<pid>-<seq>.journal`). While this process lives nobody reads
 * them; once it is gone, the next api sharing the folder replays them with the spill segments
 * (SpillStore.replayable). Entries that had already reached MongoDB come back as duplicates,
 * which the log ignores (readers return each request id once).
 *
 * Not fsync'd: a power loss can lose the last seconds, the same as the spill segments.
 */
export class PredictionJournal {
  private current: Segment | undefined;
  private readonly sealed = new Set<Segment>();
  private readonly owner = new WeakMap<PredictionDoc, Segment>();
  private readonly rotateMs: number;
  private readonly maxSegmentBytes: number;
  private seq = 0;
  private closed = false;
  /** Lines appended and not yet written, and the segment they go to (one write(2) per commit). */
  private pending: string[] = [];
  private pendingSeg: Segment | undefined;
  private commitScheduled = false;

  constructor(private readonly opts: PredictionJournalOptions) {
    claimInstance(opts.instanceId);
    this.rotateMs = opts.rotateMs ?? 1_000;
    this.maxSegmentBytes = opts.maxSegmentBytes ?? 16 * 1024 * 1024;
  }

  /** Segment files this journal holds now (current and sealed ones not yet settled). */
  get segments(): number {
    return this.sealed.size + (this.current ? 1 : 0);
  }

  /**
   * Takes one entry; it is on disk after the next `commit` (the gateway commits before it
   * answers; anything not committed by the end of the event-loop turn is committed then).
   */
  append(doc: PredictionDoc): void {
    if (this.closed) return;
    const line = `${JSON.stringify(doc)}\n`;
    const seg = this.segmentFor(Date.now());
    if (seg !== this.pendingSeg) this.commit();
    this.pendingSeg = seg;
    this.pending.push(line);
    seg.bytes += line.length;
    seg.outstanding++;
    this.owner.set(doc, seg);
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      setImmediate(() => {
        this.commitScheduled = false;
        try {
          this.commit();
        } catch (e) {
          this.opts.onError?.(e);
        }
      });
    }
  }

  /** Writes the appended entries with one write(2). Throws when the file cannot be written (the caller logs). */
  commit(): void {
    const seg = this.pendingSeg;
    if (this.pending.length === 0 || !seg || seg.fd === undefined) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    fs.writeSync(seg.fd, chunk);
  }

  /** Entries that reached MongoDB, a spill segment, or were dropped: the journal no longer needs them. */
  settle(docs: readonly PredictionDoc[]): void {
    for (const d of docs) {
      const seg = this.owner.get(d);
      if (!seg) continue;
      this.owner.delete(d);
      seg.outstanding--;
      if (seg.outstanding === 0 && seg !== this.current) this.remove(seg);
    }
    // An idle journal does not keep an old segment whose entries are all settled.
    const cur = this.current;
    if (cur && cur.outstanding === 0 && Date.now() - cur.openedAt >= this.rotateMs) {
      this.current = undefined;
      this.remove(cur);
    }
  }

  private segmentFor(now: number): Segment {
    const cur = this.current;
    if (cur && now - cur.openedAt < this.rotateMs && cur.bytes < this.maxSegmentBytes) return cur;
    if (cur) this.seal(cur);
    fs.mkdirSync(this.opts.dir, { recursive: true });
    const file = path.join(this.opts.dir, segmentFileName(now, this.opts.instanceId, this.seq++, 'journal'));
    const seg: Segment = { file, fd: fs.openSync(file, 'a'), openedAt: now, bytes: 0, outstanding: 0 };
    this.current = seg;
    return seg;
  }

  private seal(seg: Segment): void {
    if (seg === this.pendingSeg) this.commit();
    this.current = undefined;
    if (seg.fd !== undefined) fs.closeSync(seg.fd);
    seg.fd = undefined;
    if (seg.outstanding === 0) this.remove(seg);
    else this.sealed.add(seg);
  }

  private remove(seg: Segment): void {
    if (seg === this.pendingSeg) {
      this.pending = [];
      this.pendingSeg = undefined;
    }
    if (seg.fd !== undefined) fs.closeSync(seg.fd);
    seg.fd = undefined;
    this.sealed.delete(seg);
    fs.rmSync(seg.file, { force: true });
  }

  /**
   * Stops journaling. Segments whose entries are all settled are deleted; any other is left for
   * the next process to replay (the writer settles everything on a clean close).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.current) this.seal(this.current);
    releaseInstance(this.opts.instanceId);
  }
}
