/**
 * The local stack end to end (ops/stack.ts run with tsx), with stand-in entry points from
 * test/fixtures/stack-dist instead of the real api/worker/model-server builds: its own
 * FerretDB and Temporal dev server, banner, restart of a crashed child, refusal of a second
 * stack, recovery after the stack itself was killed, and a clean Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive, killStaleProcesses, readPidFile } from '../../ops/pid-files';
import { repoRoot } from '../../ops/repo-paths';
import { localStackEnv } from '../helpers/local-stack-env';
import { makeTestDir } from '../helpers/services';

jest.setTimeout(120_000);

const root = repoRoot();

interface RunningStack {
  child: ChildProcess;
  output: () => string;
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startStack(env: NodeJS.ProcessEnv): RunningStack {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'ops', 'stack.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output: () => text,
    exited,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (done) throw new Error(`stack exited before printing ${pattern}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`stack did not print ${pattern} within ${timeoutMs}ms:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('local stack (ops/stack.ts)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const stacks: RunningStack[] = [];

  beforeAll(async () => {
    dataDir = makeTestDir('ops-stack');
    ({ env } = await localStackEnv(dataDir));
  });

  afterAll(async () => {
    for (const s of stacks) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    if (dataDir) await killStaleProcesses(path.join(dataDir, 'run'), { graceMs: 2000 });
  });

  it('starts, restarts a crashed child, refuses a second start, recovers from its own crash and stops on Ctrl-C', async () => {
    const pidOf = (name: string) => readPidFile(path.join(dataDir, 'run', `${name}.pid`))?.pid;

    // First start: FerretDB + Temporal dev server + 2 model servers + worker + api, then the banner.
    const first = startStack(env);
    stacks.push(first);
    await first.waitForOutput(/HotSwap is up/);
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(fs.statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const banner = first.output();
    const apiUrl = `http://127.0.0.1:${env.API_PORT}`;
    for (const expected of [
      `API          ${apiUrl}`,
      `${apiUrl}/api/v1/docs`,
      `${apiUrl}/api/v1/openapi.json`,
      `Temporal UI  http://127.0.0.1:${env.HOTSWAP_TEMPORAL_UI_PORT}`,
      `${apiUrl}/metrics`,
      `http://127.0.0.1:${env.MODEL_SERVER_PORT}/metrics`,
      `http://127.0.0.1:${Number(env.MODEL_SERVER_PORT) + 1}/metrics`,
      `http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`,
      `admin / ${secrets.BOOTSTRAP_ADMIN_PASSWORD}`,
      `Data dir     ${dataDir}`,
    ]) {
      expect(banner).toContain(expected);
    }
    const facts = (await (await fetch(`${apiUrl}/`)).json()) as Record<string, unknown>;
    expect(facts).toMatchObject({
      name: 'api',
      MONGODB_URI: `mongodb://127.0.0.1:${env.HOTSWAP_FERRETDB_PORT}/`,
      TEMPORAL_ADDRESS: `127.0.0.1:${env.HOTSWAP_TEMPORAL_PORT}`,
      ARTIFACT_STORE: 'fs',
      SERVICE_TOKEN_SET: true,
    });
    const server2 = (await (await fetch(`http://127.0.0.1:${Number(env.MODEL_SERVER_PORT) + 1}/`)).json()) as Record<string, unknown>;
    expect(server2).toMatchObject({ name: 'server-2' });

    // A crashed child comes back.
    const apiPid = pidOf('api')!;
    process.kill(apiPid, 'SIGKILL');
    await first.waitForOutput(/api is back after restart #1/, 30_000);
    expect(pidOf('api')).not.toBe(apiPid);

    // A second stack on the same data dir refuses to start.
    const second = startStack(env);
    stacks.push(second);
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain('HotSwap is already running for');

    // The stack dies hard: its children keep running until the next start cleans them up.
    const ferretPid = pidOf('ferretdb')!;
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isProcessAlive(ferretPid)).toBe(true);

    const third = startStack(env);
    stacks.push(third);
    await third.waitForOutput(/HotSwap is up/);
    expect(third.output()).toMatch(/did not shut down cleanly; stopped 6 leftover process\(es\)/);
    expect(isProcessAlive(ferretPid)).toBe(false);
    expect(third.output()).toContain(`admin / ${secrets.BOOTSTRAP_ADMIN_PASSWORD}`);
    const pids = ['ferretdb', 'temporal', 'server-1', 'server-2', 'worker', 'api'].map((n) => pidOf(n)!);

    // Ctrl-C stops everything, in reverse order, and exits 0.
    third.child.kill('SIGINT');
    expect(await third.exited).toEqual({ code: 0, signal: null });
    const out = third.output();
    expect(out).toMatch(/SIGINT received: stopping/);
    expect(out.indexOf('stub api stopping')).toBeLessThan(out.indexOf('stub worker stopping'));
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(fs.readdirSync(path.join(dataDir, 'run'))).toEqual([]);
  });
});
