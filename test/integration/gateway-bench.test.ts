import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../ops/free-port';
import { exampleModel, uploadForm } from '../helpers/example-models';
import { requireEnv } from '../helpers/api-harness';
import { FRAUD, until } from '../helpers/gateway-harness';

/**
 * Throughput of the gateway path against the model server directly, with real processes
 * (api and model server each `node --import tsx .../main.ts`, autocannon as its own process),
 * 32 connections, single-row fraud-detection 1.0.0. Opt-in: HOTSWAP_BENCH=1 (it takes ~40 s
 * and its numbers only mean something on an otherwise idle machine).
 */
const ROOT = join(__dirname, '..', '..');
const run = process.env.HOTSWAP_BENCH === '1' ? describe : describe.skip;
const DURATION_S = Number(process.env.HOTSWAP_BENCH_SECONDS ?? 10);

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function start(entry: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function autocannon(url: string, headers: Record<string, string>, body: string, seconds = DURATION_S): Promise<{ rps: number; p50: number; p99: number; non2xx: number; errors: number }> {
  const args = ['-c', '32', '-d', String(seconds), '-m', 'POST', '-b', body, '--json'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'autocannon', 'autocannon.js'), ...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  const r = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

run('benchmark: gateway path vs model server (real processes, autocannon -c 32)', () => {
  const procs: Proc[] = [];
  const artifactDir = mkdtempSync(join(tmpdir(), 'hotswap-bench-art-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'hotswap-bench-cache-'));
  afterAll(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(artifactDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('measures req/s through the gateway and directly', async () => {
    const dbName = `t_bench_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    const serviceToken = randomBytes(24).toString('base64url');
    const common = { MONGODB_URI: requireEnv('HOTSWAP_TEST_MONGODB_URI'), MONGODB_DB: dbName, SERVICE_TOKEN: serviceToken, ARTIFACT_DIR: artifactDir };
    const apiPort = await freePort();
    const api = start('api/main.ts', {
      ...common,
      TEMPORAL_ADDRESS: requireEnv('HOTSWAP_TEST_TEMPORAL_ADDRESS'),
      JWT_SECRET: randomBytes(48).toString('base64url'),
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      BOOTSTRAP_ADMIN_PASSWORD: password,
      RATE_LIMIT_INFERENCE_PER_MIN: '100000000',
      LOG_LEVEL: 'warn',
    });
    const ms = start('model-server/main.ts', { ...common, MODEL_SERVER_HOST: '127.0.0.1', MODEL_SERVER_PORT: '0', MODEL_SERVER_CACHE_DIR: cacheDir, MODEL_SERVER_ID: 'bench-1' });
    procs.push(api, ms);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const msUrl = await until('model server', async () => /"url":"(http:\/\/[^"]+)".*"msg":"model server listening"/.exec(ms.out())?.[1], 30_000, 100);
    await until('api', async () => (await fetch(`${apiUrl}/health/live`).catch(() => null))?.ok, 30_000, 100);

    const login = await (await fetch(`${apiUrl}/api/v1/authentication/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) })).json();
    const token = (login as { token: string }).token;
    const auth = { authorization: `Bearer ${token}` };
    const ex = exampleModel('fraud-detection', '1.0.0');
    const reg = await fetch(`${apiUrl}/api/v1/models`, { method: 'POST', headers: auth, body: uploadForm(ex.metadata, ex.onnx) });
    expect(reg.status).toBe(201);
    const v = (await (await fetch(`${apiUrl}/api/v1/models/fraud-detection/versions/1.0.0`, { headers: auth })).json()) as Record<string, any>;
    const load = await fetch(`${msUrl}/control/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ versionId: v.versionId, modelName: 'fraud-detection', version: '1.0.0', artifactKey: String(v.artifactPath).replace(/^fs:\/\//, ''), checksum: v.checksum, inputSchema: v.inputSchema, outputSchema: v.outputSchema }),
    });
    expect(load.status).toBe(200);
    await until('route accepted', async () => {
      const r = await fetch(`${apiUrl}/api/v1/routing/fraud-detection/Production`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ pools: [{ version: '1.0.0', weight: 100 }] }) });
      return r.status === 200;
    }, 10_000, 200);
    const body = JSON.stringify({ features: FRAUD });
    await until('gateway serving', async () => (await fetch(`${apiUrl}/api/v1/inference/fraud-detection`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body })).status === 200, 10_000, 100);

    // JIT warm-up of both paths, not measured
    await autocannon(`${msUrl}/v1/models/fraud-detection/versions/1.0.0/predict`, { 'content-type': 'application/json' }, body, 3);
    await autocannon(`${apiUrl}/api/v1/inference/fraud-detection`, { 'content-type': 'application/json', ...auth }, body, 3);
    const direct = await autocannon(`${msUrl}/v1/models/fraud-detection/versions/1.0.0/predict`, { 'content-type': 'application/json' }, body);
    const gateway = await autocannon(`${apiUrl}/api/v1/inference/fraud-detection`, { 'content-type': 'application/json', ...auth }, body);
    const report = { direct, gateway, ratio: Math.round((gateway.rps / direct.rps) * 100) / 100 };
    process.stdout.write(`\n[bench] ${JSON.stringify(report)}\n`);
    expect(direct.non2xx + direct.errors).toBe(0);
    expect(gateway.non2xx + gateway.errors).toBe(0);
  }, 120_000);
});
