import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { isPortFree } from './free-port';
import { removeFile, signalGroup, writePidFile } from './pid-files';
import { waitUntilReady, type Probe } from './probes';

/** Where a child's output lines go. */
export type LineSink = (line: string, stream: 'stdout' | 'stderr') => void;

export interface RestartPolicy {
  /** First delay after a crash; doubles per consecutive crash. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A child that stayed up this long counts as healthy again (backoff resets). */
  resetAfterMs?: number;
}

export type SupervisorEvent =
  | { type: 'ready'; name: string; pid: number; ms: number; restart: number }
  | { type: 'exited'; name: string; pid: number; code: number | null; signal: NodeJS.Signals | null; expected: boolean }
  | { type: 'restarting'; name: string; delayMs: number; restart: number }
  | { type: 'restart-failed'; name: string; error: Error; restart: number };

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Ready when this probe says so; without one, ready as soon as it has spawned. */
  ready?: Probe;
  /**
   * Where the child will listen. Each must be free before it is spawned (at start and at every
   * restart): otherwise the child fails to bind, yet a probe that only connects would find the
   * other process's listener and report this one ready.
   */
  listens?: { host: string; port: number }[];
  readyTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL. */
  stopGraceMs?: number;
  /** Records the pid so a later supervisor can stop it if this one crashes. */
  pidFile?: string;
  output?: LineSink;
  /** Keep output out of `output` once stopping (for servers that log noise while shutting down). */
  quietWhileStopping?: boolean;
  /** Restart after an unexpected exit (only once it was ready the first time). */
  restart?: RestartPolicy | false;
  onEvent?: (event: SupervisorEvent) => void;
}

export class ProcessStartError extends Error {
  constructor(name: string, reason: string, readonly recentOutput: string[]) {
    super(`${name} failed to start: ${reason}`);
    this.name = 'ProcessStartError';
  }
}

const RECENT_LINES = 40;
type State = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

/**
 * One supervised child process: spawned in its own process group (so stopping it also stops
 * whatever it spawned, and a terminal's Ctrl-C reaches only the supervisor, which then stops
 * children in order), output forwarded line by line, readiness by probe, stop by SIGTERM then
 * SIGKILL, and restart with exponential backoff when it dies unexpectedly.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private state: State = 'idle';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  private exitWaiters: Array<() => void> = [];
  private readonly recent: string[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private consecutiveCrashes = 0;
  private startedAt = 0;
  private restartCount = 0;

  constructor(readonly spec: ProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times it was restarted after a crash. */
  get restarts(): number {
    return this.restartCount;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  recentOutput(): string[] {
    return [...this.recent];
  }

  /** Spawns and waits until ready; on failure the child is stopped and the error carries its last lines. */
  async start(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'stopped') throw new Error(`${this.name} is already ${this.state}`);
    this.state = 'starting';
    try {
      await this.spawnAndWait();
    } catch (e) {
      await this.killChild();
      this.state = 'stopped';
      throw e;
    }
    this.state = 'running';
  }

  /** SIGTERM to the process group, SIGKILL after the grace period; cancels a pending restart. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'idle') return;
    this.state = 'stopping';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.killChild();
    this.state = 'stopped';
  }

  /** Synchronous last resort (process 'exit' handlers, a second Ctrl-C): SIGKILL the group, drop the pid file. */
  killNow(): void {
    const pid = this.child?.pid;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (pid === undefined || this.exitInfo) return;
    this.state = 'stopping';
    signalGroup(pid, 'SIGKILL');
    if (this.spec.pidFile) removeFile(this.spec.pidFile);
  }

  private async spawnAndWait(): Promise<void> {
    const { spec } = this;
    for (const { host, port } of spec.listens ?? []) {
      if (!(await isPortFree(port, host))) throw new ProcessStartError(spec.name, `${host}:${port} is already in use by another process`, this.recentOutput());
    }
    const t0 = Date.now();
    this.exitInfo = undefined;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.startedAt = t0;
    this.pipeLines(child.stdout, 'stdout');
    this.pipeLines(child.stderr, 'stderr');
    child.once('error', (error) => this.onExit(child, null, null, error));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    if (child.pid !== undefined && spec.pidFile) {
      writePidFile(spec.pidFile, { pid: child.pid, command: spec.command, startedAt: new Date(t0).toISOString(), owner: process.pid });
    }
    const abort = () => {
      if (!this.exitInfo || this.child !== child) return undefined;
      const { code, signal, error } = this.exitInfo;
      const reason = error ? error.message : `exited with ${signal ? `signal ${signal}` : `code ${code}`} before it was ready`;
      return new ProcessStartError(spec.name, reason, this.recentOutput());
    };
    try {
      await waitUntilReady(spec.name, spec.ready ?? (async () => true), {
        timeoutMs: spec.readyTimeoutMs ?? 60_000,
        abort,
      });
    } catch (e) {
      if (e instanceof ProcessStartError) throw e;
      throw new ProcessStartError(spec.name, (e as Error).message, this.recentOutput());
    }
    spec.onEvent?.({ type: 'ready', name: spec.name, pid: child.pid!, ms: Date.now() - t0, restart: this.restartCount });
  }

  private pipeLines(stream: NodeJS.ReadableStream, which: 'stdout' | 'stderr'): void {
    const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      this.recent.push(line);
      if (this.recent.length > RECENT_LINES) this.recent.shift();
      if (this.spec.quietWhileStopping && this.state === 'stopping') return;
      this.spec.output?.(line, which);
    });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (this.child !== child || this.exitInfo) return;
    this.exitInfo = { code, signal, error };
    if (this.spec.pidFile) removeFile(this.spec.pidFile);
    // Reap whatever the child left behind in its group.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL', false);
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    const expected = this.state !== 'running';
    this.spec.onEvent?.({ type: 'exited', name: this.name, pid: child.pid ?? -1, code, signal, expected });
    if (!expected) this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const policy = this.spec.restart;
    if (policy === false || policy === undefined) {
      this.state = 'stopped';
      return;
    }
    const initial = policy.initialDelayMs ?? 1000;
    const max = policy.maxDelayMs ?? 30_000;
    if (Date.now() - this.startedAt >= (policy.resetAfterMs ?? 60_000)) this.consecutiveCrashes = 0;
    const delayMs = Math.min(max, initial * 2 ** this.consecutiveCrashes);
    this.consecutiveCrashes++;
    this.state = 'backoff';
    this.spec.onEvent?.({ type: 'restarting', name: this.name, delayMs, restart: this.restartCount + 1 });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== 'backoff') return;
      this.restartCount++;
      this.state = 'starting';
      this.spawnAndWait().then(
        () => {
          if (this.state === 'starting') this.state = 'running';
        },
        async (error: Error) => {
          if (this.state !== 'starting') return;
          this.spec.onEvent?.({ type: 'restart-failed', name: this.name, error, restart: this.restartCount });
          await this.killChild();
          if (this.state !== 'starting') return;
          this.startedAt = Date.now(); // a failed start never counts as a healthy run
          this.scheduleRestart();
        },
      );
    }, delayMs);
  }

  private waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.exitInfo || !this.child) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async killChild(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || this.exitInfo) return;
    signalGroup(child.pid, 'SIGTERM');
    if (await this.waitForExit(this.spec.stopGraceMs ?? 10_000)) return;
    signalGroup(child.pid, 'SIGKILL');
    await this.waitForExit(5000);
  }
}
