import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** What a pid file records: enough to tell our process from an unrelated one that
 * reused the pid after a crash. */
export interface PidRecord {
  pid: number;
  /** The executable we started; checked against the live process's command line. */
  command: string;
  startedAt: string;
  /** The supervisor that started it. */
  owner: number;
  /** Kernel start time of the process (/proc/<pid>/stat field 22), when known: pids are reused. */
  startTicks?: number;
}

/**
 * The kernel's start time of `pid` in clock ticks since boot (Linux), or undefined. Why: pid_max
 * can be as low as 32768, so a recorded pid may belong to another process minutes later; only
 * pid plus start time names one process.
 */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(file: string, record: PidRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const startTicks = record.startTicks ?? processStartTicks(record.pid);
  fs.writeFileSync(file, `${JSON.stringify({ ...record, ...(startTicks !== undefined && { startTicks }) })}\n`);
}

export function readPidFile(file: string): PidRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<PidRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.command !== 'string') return undefined;
    return {
      pid: parsed.pid,
      command: parsed.command,
      startedAt: String(parsed.startedAt),
      owner: Number(parsed.owner),
      ...(typeof parsed.startTicks === 'number' && { startTicks: parsed.startTicks }),
    };
  } catch {
    return undefined;
  }
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live command line of `pid` as argv, or undefined when it cannot be read. */
export function processArgv(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s) => s.length > 0);
  } catch {
    try {
      // no /proc (macOS): ps prints the command line space-joined
      const out = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
      return out ? out.split(/\s+/) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** True when `pid` is alive and still runs `record.command` (so not a recycled pid). */
export function isRecordedProcessAlive(record: PidRecord): boolean {
  if (!isProcessAlive(record.pid)) return false;
  if (record.startTicks !== undefined) {
    const now = processStartTicks(record.pid);
    if (now !== undefined && now !== record.startTicks) return false;
  }
  const argv = processArgv(record.pid);
  if (!argv || argv.length === 0) return false;
  const base = path.basename(record.command);
  return argv[0] === record.command || path.basename(argv[0]) === base;
}

/** Signals a process group (our children lead their own), falling back to the pid unless
 * `fallbackToPid` is false (after the leader has exited its pid may already be reused). */
export function signalGroup(pid: number, signal: NodeJS.Signals, fallbackToPid = true): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    if (!fallbackToPid) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

async function waitForDeath(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isProcessAlive(pid);
}

/** Stops the processes recorded by *.pid files in `runDir` that are still alive (left over
 * by a supervisor that crashed), SIGTERM then SIGKILL, and removes the files. Returns what
 * it stopped. `except` names pid files to leave alone (e.g. the caller's own lock). */
export async function killStaleProcesses(
  runDir: string,
  opts: { graceMs?: number; except?: string[] } = {},
): Promise<PidRecord[]> {
  let files: string[];
  try {
    files = fs.readdirSync(runDir).filter((f) => f.endsWith('.pid') && !(opts.except ?? []).includes(f));
  } catch {
    return [];
  }
  const stopped: PidRecord[] = [];
  await Promise.all(
    files.map(async (f) => {
      const file = path.join(runDir, f);
      const record = readPidFile(file);
      if (record && record.pid !== process.pid && isRecordedProcessAlive(record)) {
        signalGroup(record.pid, 'SIGTERM');
        if (!(await waitForDeath(record.pid, opts.graceMs ?? 5000))) {
          signalGroup(record.pid, 'SIGKILL');
          await waitForDeath(record.pid, 2000);
        }
        stopped.push(record);
      }
      removeFile(file);
    }),
  );
  return stopped;
}
