/**
 * The api process stops in bounded time when idle: SIGTERM to a real api (api/main.ts, default
 * intervals, the run's FerretDB and Temporal dev server) until it exits. The bound is a liveness
 * bound (a drain that waits for nothing used to take 7–8 s); the measured time and the "api
 * stopped" line's per-step times are printed, not asserted.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort } from '../../ops/free-port';
import { repoRoot } from '../../ops/repo-paths';
import { makeTestDir, testMongoUri, testTemporalAddress, uniqueDbName, uniqueTaskQueue } from '../helpers/services';

jest.setTimeout(120_000);

const IDLE_STOP_BOUND_MS = 5_000;

it('an idle api exits on SIGTERM within a bound, with its prediction log closed', async () => {
  const dir = makeTestDir('api-shutdown');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'api', 'main.ts')], {
    cwd: repoRoot(),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      MONGODB_URI: testMongoUri(),
      MONGODB_DB: uniqueDbName('shutdown'),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('shutdown'),
      SERVICE_TOKEN: randomBytes(24).toString('base64url'),
      JWT_SECRET: randomBytes(48).toString('base64url'),
      BOOTSTRAP_ADMIN_USERNAME: 'admin',
      BOOTSTRAP_ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
      ARTIFACT_STORE: 'fs',
      ARTIFACT_DIR: path.join(dir, 'artifacts'),
      PREDICTION_SPILL_DIR: path.join(dir, 'spill'),
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!/"msg":"api listening"/.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`api did not start:\n${out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Used once, as a client would: a keep-alive connection stays open across the shutdown.
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);

    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), IDLE_STOP_BOUND_MS))]);
    const ms = Math.round(performance.now() - t0);
    const stopped = out.split('\n').find((l) => l.includes('"msg":"api stopped"'));
    process.stdout.write(`idle api stopped in ${ms} ms (SIGTERM to exit); ${stopped ?? 'no "api stopped" line'}\n`);
    expect(code).toBe(0);
    expect(stopped).toBeDefined();
    expect(JSON.parse(stopped!)).toMatchObject({ steps: { http: expect.any(Number), gateway: expect.any(Number), predictionLog: expect.any(Number), telemetry: expect.any(Number) } });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
