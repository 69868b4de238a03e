import { spawn } from 'node:child_process';

export interface BashRun {
  output: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
}

/** Runs `script` in one bash process (its own process group, killed with whatever it left behind). */
export function runBash(script: string, o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<BashRun> {
  const { cwd, env, timeoutMs } = o;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* the group is gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      // The walk-through stops its background load itself; a failed run may leave it running.
      killGroup();
      resolve({ output, exitCode, signal, timedOut, durationMs: Date.now() - t0 });
    });
  });
}
