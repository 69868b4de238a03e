import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and memory of processes from /proc (Linux), so every server — ours or the real
 * model-server / api entry points — is measured the same way without an endpoint in it.
 */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time of a process in milliseconds (10 ms resolution at CLK_TCK 100). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident set size and its peak, in bytes. */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Busy CPU time of the whole machine (all cores) in milliseconds, from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice).
  const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0);
  return (busy * 1000) / clockTicks();
}

export interface CpuSnapshot {
  at: number;
  machine: number;
  self: number;
  byPid: Map<number, number>;
}

export function snapshot(pids: number[]): CpuSnapshot {
  const byPid = new Map<number, number>();
  for (const pid of pids) {
    try {
      byPid.set(pid, processCpuMs(pid));
    } catch {
      /* gone */
    }
  }
  const self = process.cpuUsage();
  return { at: performance.now(), machine: machineBusyMs(), self: (self.user + self.system) / 1000, byPid };
}

export interface CpuDelta {
  wallMs: number;
  /** CPU ms per watched pid. */
  byPid: Map<number, number>;
  /** CPU ms of this (load generator) process. */
  self: number;
  /** CPU ms of the whole machine. */
  machine: number;
  /** Machine CPU not spent by the watched processes or this one: other people's work. */
  others: number;
}

export function delta(a: CpuSnapshot, b: CpuSnapshot): CpuDelta {
  const byPid = new Map<number, number>();
  let ours = 0;
  for (const [pid, v] of b.byPid) {
    const d = v - (a.byPid.get(pid) ?? v);
    byPid.set(pid, d);
    ours += d;
  }
  const self = b.self - a.self;
  const machine = b.machine - a.machine;
  return { wallMs: b.at - a.at, byPid, self, machine, others: Math.max(0, machine - ours - self) };
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}
