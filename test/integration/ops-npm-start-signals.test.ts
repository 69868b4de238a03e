/**
 * `npm start` stops like a service: SIGINT or SIGTERM sent to the npm process itself (as a
 * process manager or `kill` would) stops every child of the stack (its own FerretDB and Temporal
 * dev server, the api, worker and model servers), nothing stays listening, and the run dir is
 * left empty; and when npm is killed outright, the supervisor notices and does the same.
 * Through the user's entry: npm → scripts/start.sh → the supervisor, with HOTSWAP_DIST_DIR at
 * the stand-in entry points of test/fixtures/stack-dist (no tsc build). One data dir and one set
 * of ports for all three.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isPortFree } from '../../ops/free-port';
import { isProcessAlive, killStaleProcesses, readPidFile } from '../../ops/pid-files';
import { repoRoot } from '../../ops/repo-paths';
import { localStackEnv } from '../helpers/local-stack-env';
import { makeTestDir } from '../helpers/services';

jest.setTimeout(150_000);

const root = repoRoot();
/** Liveness bounds, not timings: a stop that hangs fails here. */
const STOP_BOUND_MS = 30_000;

interface NpmStart {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function npmStart(env: NodeJS.ProcessEnv): NpmStart {
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => text, exited };
}

async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms:\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True while any process of the group led by `pid` lives (our children lead their own groups). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('npm start stops on a signal to the npm process', () => {
  let dataDir: string;
  let runDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: number[];
  const started: NpmStart[] = [];
  const supervisors: number[] = [];

  beforeAll(async () => {
    dataDir = makeTestDir('npm-start-signals');
    runDir = path.join(dataDir, 'run');
    ({ env, ports } = await localStackEnv(dataDir));
  });

  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    // A supervisor that ignored the signal (the bug this file is about) would outlive jest.
    for (const pid of supervisors.filter(isProcessAlive)) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && supervisors.some(isProcessAlive); i++) await new Promise((r) => setTimeout(r, 100));
    if (runDir) await killStaleProcesses(runDir, { graceMs: 2000 });
  });

  // SIGKILL: npm forwards nothing, the supervisor sees its parent gone.
  it.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)('%s to npm stops every child, frees every port and cleans the run dir', async (signal) => {
    const npm = npmStart(env);
    started.push(npm);
    let exitedEarly = false;
    void npm.exited.then(() => (exitedEarly = true));
    await waitFor('the banner', () => /HotSwap is up/.test(npm.output()) || exitedEarly, 90_000, npm.output);
    expect(npm.output()).toMatch(/HotSwap is up/);

    const names = ['ferretdb', 'temporal', 'server-1', 'server-2', 'worker', 'api'];
    const children = names.map((n) => ({ name: n, pid: readPidFile(path.join(runDir, `${n}.pid`))?.pid }));
    expect(children.filter((c) => c.pid === undefined)).toEqual([]);
    const supervisor = readPidFile(path.join(runDir, 'stack.lock'))!.pid;
    supervisors.push(supervisor);
    for (const port of ports) expect(await isPortFree(port)).toBe(false);

    const t0 = Date.now();
    npm.child.kill(signal);
    const gone = async () => {
      if (isProcessAlive(supervisor) || children.some((c) => groupAlive(c.pid!))) return false;
      return (await Promise.all(ports.map((p) => isPortFree(p)))).every(Boolean);
    };
    const state = () => {
      const alive = children.filter((c) => groupAlive(c.pid!)).map((c) => `${c.name} (${c.pid})`);
      return `still alive: supervisor ${isProcessAlive(supervisor)}, children ${alive.join(', ') || 'none'}\n${npm.output().slice(-4000)}`;
    };
    await waitFor(`every process gone and every port free after ${signal}`, gone, STOP_BOUND_MS, state);
    const exit = await npm.exited;
    process.stdout.write(`npm start stopped on ${signal} in ${Date.now() - t0} ms\n`);

    await waitFor('the last line', () => /stack +\| stopped/.test(npm.output()), 5000, npm.output);
    if (signal === 'SIGKILL') {
      expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
      expect(npm.output()).toContain('the parent process (npm) exited: stopping');
    } else {
      expect(exit).toEqual({ code: 0, signal: null });
      expect(npm.output()).toContain(`${signal} received: stopping`);
    }
    expect(fs.readdirSync(runDir)).toEqual([]);
  });
});
