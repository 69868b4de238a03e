import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { PredictionDoc } from '../../infra/mongo/prediction-log-repository';

/**
 * The prediction log's local spill: append-only NDJSON segment files, written while MongoDB is
 * unreachable (or the in-memory buffer is full) and replayed when it is back.
 *
 * File names: `spill-<startMs>-<instance>-<pid>-<seq>.<state>` where state is `open` (being
 * appended to by that instance), `ndjson` (sealed, waiting for replay), `journal` (the
 * write-ahead journal of a live process, PredictionJournal: replayed only once that process is
 * gone) or `replay-<instance>-<pid>` (claimed by a replaying instance). Claims are atomic renames, so
 * several processes sharing a folder never replay the same segment at once; segments left
 * `open` or claimed by a process that is gone are replayed by the next one. Duplicates that a
 * crash mid-replay may cause are harmless: the log ignores request ids it already has.
 *
 * Writes are synchronous on purpose: the caller hands over bounded chunks, and a record that
 * reached this file is durable before the memory it used is released.
 */
export interface SpillStoreOptions {
  dir: string;
  /** Short id of this instance (letters and digits), unique among instances in one process. */
  instanceId: string;
  /** A new segment starts after this many bytes. */
  maxSegmentBytes?: number;
}

const NAME = /^spill-(\d+)-([a-z0-9]+)-(\d+)-(\d+)\.(open|ndjson|journal|replay-([a-z0-9]+)-(\d+))$/;

interface ParsedName {
  file: string;
  startMs: number;
  instance: string;
  pid: number;
  state: 'open' | 'ndjson' | 'journal' | 'replay';
  claimInstance?: string;
  claimPid?: number;
}

function parseName(file: string): ParsedName | undefined {
  const m = NAME.exec(file);
  if (!m) return undefined;
  const state = m[5].startsWith('replay') ? 'replay' : (m[5] as 'open' | 'ndjson' | 'journal');
  return {
    file,
    startMs: Number(m[1]),
    instance: m[2],
    pid: Number(m[3]),
    state,
    ...(state === 'replay' && { claimInstance: m[6], claimPid: Number(m[7]) }),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Instances of this process that are open right now: their own files are not orphans. */
const liveInstances = new Set<string>();

/** Whether the instance that wrote (or claimed) a file is gone: its files are anyone's to replay. */
function orphan(instance: string, pid: number): boolean {
  return pid === process.pid ? !liveInstances.has(instance) : !processAlive(pid);
}

/** The one naming of segment files (spill segments and journal segments). */
export function segmentFileName(startMs: number, instanceId: string, seq: number, state: 'open' | 'journal'): string {
  return `spill-${startMs}-${instanceId}-${process.pid}-${seq}.${state}`;
}

/** Marks an instance id of this process live (its files are not orphans) until `releaseInstance`. */
export function claimInstance(instanceId: string): void {
  if (!/^[a-z0-9]+$/.test(instanceId)) throw new Error('spill instanceId must be lowercase letters and digits');
  liveInstances.add(instanceId);
}

export function releaseInstance(instanceId: string): void {
  liveInstances.delete(instanceId);
}

export interface ReadBatch {
  docs: PredictionDoc[];
  /** Lines that could not be parsed (a crash mid-write leaves at most one). */
  corrupt: number;
}

export class SpillStore {
  private fd: number | undefined;
  private current: string | undefined;
  private currentBytes = 0;
  private seq = 0;
  private readonly maxSegmentBytes: number;
  /** True while some segment may be waiting for replay. */
  private maybePending = true;
  private closed = false;

  constructor(private readonly opts: SpillStoreOptions) {
    claimInstance(opts.instanceId);
    this.maxSegmentBytes = opts.maxSegmentBytes ?? 64 * 1024 * 1024;
  }

  get dir(): string {
    return this.opts.dir;
  }

  /** Whether a replay may find something (cheap; false only after a scan found nothing). */
  get hasPending(): boolean {
    return this.maybePending;
  }

  /**
   * Appends documents as JSON lines and returns how many were written; documents that cannot
   * be serialised are skipped (the count tells). Throws when the file cannot be written.
   */
  append(docs: readonly PredictionDoc[]): number {
    if (docs.length === 0) return 0;
    const lines: string[] = [];
    for (const d of docs) {
      try {
        lines.push(JSON.stringify(d));
      } catch {
        /* not serialisable (BigInt, cycles): counted by the caller as dropped */
      }
    }
    if (lines.length === 0) return 0;
    const chunk = `${lines.join('\n')}\n`;
    const fd = this.openSegment();
    fs.writeSync(fd, chunk);
    this.currentBytes += Buffer.byteLength(chunk);
    this.maybePending = true;
    if (this.currentBytes >= this.maxSegmentBytes) this.seal();
    return lines.length;
  }

  private openSegment(): number {
    if (this.closed) throw new Error('spill store is closed');
    if (this.fd !== undefined) return this.fd;
    fs.mkdirSync(this.opts.dir, { recursive: true });
    const name = segmentFileName(Date.now(), this.opts.instanceId, this.seq++, 'open');
    this.current = path.join(this.opts.dir, name);
    this.fd = fs.openSync(this.current, 'a');
    this.currentBytes = 0;
    return this.fd;
  }

  /** Closes the segment being written, making it replayable. */
  seal(): void {
    if (this.fd === undefined || !this.current) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = undefined;
    fs.renameSync(this.current, this.current.replace(/\.open$/, '.ndjson'));
    this.current = undefined;
  }

  private list(): ParsedName[] {
    let files: string[];
    try {
      files = fs.readdirSync(this.opts.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return files.flatMap((f) => parseName(f) ?? []);
  }

  /** Segments this instance may replay now, oldest first (sealed ones, and orphans of dead writers and journals). */
  replayable(): string[] {
    const mine = this.opts.instanceId;
    const found = this.list()
      .filter((p) => {
        if (p.state === 'ndjson') return true;
        if (p.state === 'open' || p.state === 'journal') return p.instance !== mine && orphan(p.instance, p.pid);
        return !(p.claimInstance === mine && p.claimPid === process.pid) && orphan(p.claimInstance!, p.claimPid!);
      })
      .sort((a, b) => a.startMs - b.startMs || a.file.localeCompare(b.file));
    this.maybePending = found.length > 0 || this.fd !== undefined;
    return found.map((p) => p.file);
  }

  /** Spill segment files in the folder (any state, any instance), not counting the journals of live processes. */
  countSegments(): number {
    return this.list().filter((p) => p.state !== 'journal' || orphan(p.instance, p.pid)).length;
  }

  /** Makes the next replay look at the folder again (other processes may have left segments). */
  recheck(): void {
    this.maybePending = true;
  }

  /** Claims a segment for replay (atomic rename); undefined when another process took it first. */
  claim(file: string): string | undefined {
    const p = parseName(file);
    if (!p) return undefined;
    const base = file.replace(/\.(open|ndjson|journal|replay-[a-z0-9]+-\d+)$/, '');
    const claimed = `${base}.replay-${this.opts.instanceId}-${process.pid}`;
    try {
      fs.renameSync(path.join(this.opts.dir, file), path.join(this.opts.dir, claimed));
      return claimed;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Gives a claimed segment back (replay failed part-way; it will be replayed again). */
  release(claimed: string): void {
    const base = claimed.replace(/\.replay-[a-z0-9]+-\d+$/, '');
    try {
      fs.renameSync(path.join(this.opts.dir, claimed), path.join(this.opts.dir, `${base}.ndjson`));
    } catch {
      /* already gone */
    }
    this.maybePending = true;
  }

  /** Deletes a fully replayed segment. */
  remove(claimed: string): void {
    fs.rmSync(path.join(this.opts.dir, claimed), { force: true });
  }

  /** Reads a claimed segment in batches of at most `batchSize` documents. */
  async *read(claimed: string, batchSize: number): AsyncGenerator<ReadBatch> {
    const stream = fs.createReadStream(path.join(this.opts.dir, claimed), { encoding: 'utf8' });
    const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    let docs: PredictionDoc[] = [];
    let corrupt = 0;
    try {
      for await (const line of lines) {
        if (!line) continue;
        try {
          const d = JSON.parse(line) as PredictionDoc & { time: string };
          docs.push({ ...d, time: new Date(d.time) });
        } catch {
          corrupt++;
        }
        if (docs.length >= batchSize) {
          yield { docs, corrupt };
          docs = [];
          corrupt = 0;
        }
      }
      if (docs.length > 0 || corrupt > 0) yield { docs, corrupt };
    } finally {
      lines.close();
      stream.destroy();
    }
  }

  /** Seals the current segment; later appends throw. */
  close(): void {
    if (this.closed) return;
    this.seal();
    this.closed = true;
    releaseInstance(this.opts.instanceId);
  }
}
