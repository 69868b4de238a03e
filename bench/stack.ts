import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../ops/free-port';
import { fileSink } from '../ops/log-output';
import { ManagedProcess, ProcessStartError } from '../ops/process-supervisor';
import { httpProbe } from '../ops/probes';
import { repoRoot } from '../ops/repo-paths';
import { ferretDb } from '../ops/services/ferretdb';
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of the api's own responses */
import { MODEL_NAME, MODEL_VERSION, modelDir, SINGLE_BODY } from './fixture';

/**
 * The real processes of the benchmark, each in its own process (group): FerretDB in a temp
 * dir, B1, a model server (dist/model-server/main.js, the production entry point) and the
 * api (dist/bench/gateway-server.js: api/main.ts plus the bench switches), and the HTTP calls
 * that set them up the way an operator would (register, API key, load, route).
 */
export interface Proc {
  name: string;
  managed: ManagedProcess;
  pid: number;
  url: string;
}

const started = new Set<ManagedProcess>();

/** Synchronous last resort (process 'exit'): SIGKILL every process group still running. */
export function killAllNow(): void {
  for (const p of started) p.killNow();
}

/** Pids of every process this run started and has not stopped. */
export function runningPids(): number[] {
  return [...started].map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
}

export async function stopProc(p: Proc | undefined): Promise<void> {
  if (!p) return;
  await p.managed.stop();
  started.delete(p.managed);
}

export async function stopAll(): Promise<void> {
  for (const p of [...started].reverse()) await p.stop().catch(() => p.killNow());
  started.clear();
}

async function startManaged(managed: ManagedProcess, name: string, url: string): Promise<Proc> {
  started.add(managed);
  try {
    await managed.start();
  } catch (e) {
    started.delete(managed);
    if (e instanceof ProcessStartError) throw new Error(`${e.message}\n  ${e.recentOutput.join('\n  ')}`);
    throw e;
  }
  return { name, managed, pid: managed.pid!, url };
}

const dist = () => path.join(repoRoot(), 'dist');
const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });

export async function startFerret(workDir: string): Promise<Proc & { uri: string }> {
  const port = await freePort();
  const db = ferretDb({ dataDir: path.join(workDir, 'ferretdb'), port, output: fileSink(path.join(workDir, 'logs', 'ferretdb.log')) });
  const p = await startManaged(db.process, 'ferretdb', db.uri);
  return { ...p, uri: db.uri };
}

/** A bare reference server of the bench (dist/bench/<script>.js) on a free port, ready when /health answers. */
async function startReference(workDir: string, name: string, script: string, env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const managed = new ManagedProcess({
    name,
    command: process.execPath,
    args: [path.join(dist(), 'bench', `${script}.js`)],
    cwd: repoRoot(),
    env: { ...baseEnv(), ...env, BENCH_PORT: String(port) },
    ready: httpProbe(`${url}/health`, (s) => s === 200),
    readyTimeoutMs: 30_000,
    stopGraceMs: 5000,
    output: fileSink(path.join(workDir, 'logs', `${name}.log`)),
  });
  return startManaged(managed, name, url);
}

/** B1 (bench/baseline-server.ts): a bare node:http server with one ORT session. */
export const startBaseline = (workDir: string): Promise<Proc> => startReference(workDir, 'b1', 'baseline-server');

/** B2 (bench/baseline-proxy.ts): a bare node:http proxy in front of B1. */
export const startBaselineProxy = (workDir: string, b1Url: string): Promise<Proc> => startReference(workDir, 'b2', 'baseline-proxy', { BENCH_UPSTREAM: b1Url });

/** Settings shared by the model server and every api process of one bench run. */
export interface Shared {
  workDir: string;
  mongoUri: string;
  dbName: string;
  artifactDir: string;
  serviceToken: string;
  jwtSecret: string;
  adminPassword: string;
  /** An address where nothing listens: the api connects to Temporal lazily and inference never does. */
  temporalAddress: string;
}

export async function sharedSettings(workDir: string, mongoUri: string): Promise<Shared> {
  return {
    workDir,
    mongoUri,
    dbName: `bench_${randomBytes(4).toString('hex')}`,
    artifactDir: path.join(workDir, 'artifacts'),
    serviceToken: randomBytes(24).toString('base64url'),
    jwtSecret: randomBytes(48).toString('base64url'),
    adminPassword: randomBytes(18).toString('base64url'),
    temporalAddress: `127.0.0.1:${await freePort()}`,
  };
}

export async function startModelServer(s: Shared): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const managed = new ManagedProcess({
    name: 'model-server',
    command: process.execPath,
    args: [...(process.env.BENCH_MODEL_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), '--enable-source-maps', path.join(dist(), 'model-server', 'main.js')],
    cwd: repoRoot(),
    env: {
      ...baseEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      MONGODB_URI: s.mongoUri,
      MONGODB_DB: s.dbName,
      SERVICE_TOKEN: s.serviceToken,
      ARTIFACT_STORE: 'fs',
      ARTIFACT_DIR: s.artifactDir,
      MODEL_SERVER_ID: 'bench-server-1',
      MODEL_SERVER_HOST: '127.0.0.1',
      MODEL_SERVER_PORT: String(port),
      MODEL_SERVER_URL: url,
      MODEL_SERVER_CACHE_DIR: path.join(s.workDir, 'model-cache'),
      MODEL_SERVER_HEARTBEAT_MS: '1000',
    },
    ready: httpProbe(`${url}/health`),
    readyTimeoutMs: 60_000,
    stopGraceMs: 15_000,
    output: fileSink(path.join(s.workDir, 'logs', 'model-server.log')),
  });
  return startManaged(managed, 'model-server', url);
}

export interface GatewayVariant {
  /** Short name for logs and tables. */
  name: string;
  predictionLog: boolean;
  otel: boolean;
}

/** BENCH_API_ENV="NAME=value NAME2=value2": extra settings for the api processes (e.g. PREDICTION_LOG_FLUSH_MS=25). */
function extraApiEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (process.env.BENCH_API_ENV ?? '').split(' ').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export async function startGateway(s: Shared, v: GatewayVariant): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const managed = new ManagedProcess({
    name: v.name,
    command: process.execPath,
    // BENCH_API_NODE_ARGS: extra node flags for the api processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    args: [...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean), '--enable-source-maps', path.join(dist(), 'bench', 'gateway-server.js')],
    cwd: repoRoot(),
    env: {
      ...baseEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      MONGODB_URI: s.mongoUri,
      MONGODB_DB: s.dbName,
      TEMPORAL_ADDRESS: s.temporalAddress,
      SERVICE_TOKEN: s.serviceToken,
      JWT_SECRET: s.jwtSecret,
      ARTIFACT_STORE: 'fs',
      ARTIFACT_DIR: s.artifactDir,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      BOOTSTRAP_ADMIN_USERNAME: 'admin',
      BOOTSTRAP_ADMIN_PASSWORD: s.adminPassword,
      // The default (1000/min per caller) is a product limit, not a capacity: the bench is one caller.
      RATE_LIMIT_INFERENCE_PER_MIN: '1000000000',
      RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: '1000000000',
      PREDICTION_SPILL_DIR: path.join(s.workDir, 'prediction-spill'),
      BENCH_PREDICTION_LOG: v.predictionLog ? 'on' : 'off',
      BENCH_OTEL: v.otel ? 'on' : 'off',
      ...extraApiEnv(),
    },
    ready: httpProbe(`${url}/v2/health/live`),
    readyTimeoutMs: 60_000,
    stopGraceMs: 15_000,
    output: fileSink(path.join(s.workDir, 'logs', `${v.name}.log`)),
  });
  return startManaged(managed, v.name, url);
}

async function call(method: string, url: string, opts: { token?: string; headers?: Record<string, string>; json?: unknown; form?: FormData } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) body = opts.form;
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

function expectStatus(what: string, res: { status: number; body: unknown }, ...ok: number[]): void {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
}

export interface Deployment {
  apiKey: string;
  versionId: string;
}

/**
 * Sets the deployment up through the public APIs: log in as the bootstrap admin, register the
 * model (multipart upload), create an Application API key, load the version on the model
 * server (control API), route 100 % of Production to it.
 */
export async function deploy(s: Shared, gateway: Proc, server: Proc): Promise<Deployment> {
  const api = gateway.url;
  const login = await call('POST', `${api}/api/v1/authentication/login`, { json: { username: 'admin', password: s.adminPassword } });
  expectStatus('login', login, 200);
  const admin = login.body.token as string;

  const metadata = JSON.parse(readFileSync(path.join(modelDir(), 'metadata.json'), 'utf8')) as Record<string, unknown>;
  const onnx = readFileSync(path.join(modelDir(), 'model.onnx'));
  const form = new FormData();
  form.append('metadata', JSON.stringify({ ...metadata, name: MODEL_NAME }));
  form.append('artifact', new Blob([new Uint8Array(onnx)]), 'model.onnx');
  expectStatus('register model', await call('POST', `${api}/api/v1/models`, { token: admin, form }), 201);
  const v = await call('GET', `${api}/api/v1/models/${MODEL_NAME}/versions/${MODEL_VERSION}`, { token: admin });
  expectStatus('read version', v, 200);

  const key = await call('POST', `${api}/api/v1/api-keys`, { token: admin, json: { name: 'bench', role: 'Application' } });
  expectStatus('create API key', key, 201);

  const load = await call('POST', `${server.url}/control/versions`, {
    token: s.serviceToken,
    json: {
      versionId: v.body.versionId,
      modelName: MODEL_NAME,
      version: MODEL_VERSION,
      artifactKey: String(v.body.artifactPath).replace(/^fs:\/\//, ''),
      checksum: v.body.checksum,
      inputSchema: v.body.inputSchema,
      outputSchema: v.body.outputSchema,
    },
  });
  expectStatus('load version on the model server', load, 200);

  // 409 until the model server's heartbeat shows the version Ready.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const route = await call('PUT', `${api}/api/v1/routing/${MODEL_NAME}/Production`, { token: admin, json: { pools: [{ version: MODEL_VERSION, weight: 100 }] } });
    if (route.status === 200) break;
    if (route.status !== 409 || Date.now() > deadline) expectStatus('set route', route, 200);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { apiKey: key.body.key as string, versionId: v.body.versionId as string };
}

/** Waits until an inference through this gateway answers 200 (routing table and server directory loaded). */
export async function waitForGateway(gateway: Proc, apiKey: string): Promise<unknown> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await call('POST', `${gateway.url}/api/v1/inference/${MODEL_NAME}`, { headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, json: JSON.parse(SINGLE_BODY) });
    if (res.status === 200) return res.body;
    if (Date.now() > deadline) expectStatus(`inference through ${gateway.name}`, res, 200);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return call('POST', url, { headers, json: JSON.parse(body) });
}
