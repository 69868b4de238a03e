/**
 * The whole stack as real child processes (api with its gateway, worker, model servers), each
 * started with `node --import tsx <entry>.ts` against the run's FerretDB and Temporal dev
 * server, on a database and task queue of its own. For end-to-end tests that kill processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import type { Role } from '../../domain/permissions';
import { freeStablePorts } from '../../ops/free-port';
import { httpProbe, type Probe } from '../../ops/probes';
import { acquireE2ELock } from './e2e-lock';
import { apiCaller, login, tokenCache, type Call } from './http-client';
import { exampleModel, uploadForm, versionBody } from './example-models';
import { makeTestDir, testMongoUri, testTemporalAddress, uniqueDbName, uniqueTaskQueue } from './services';

export type RoleName = Role;

export interface ProcessHandle {
  name: string;
  pid(): number | undefined;
  /** Default SIGKILL; resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** (Re)starts it; resolves when ready. */
  start(): Promise<void>;
  /** Its recent stdout+stderr (for failure messages). */
  output(): string;
  running(): boolean;
}

export interface E2EStack {
  apiUrl: string;
  dbName: string;
  db: Db;
  taskQueue: string;
  temporalAddress: string;
  artifactDir: string;
  serviceToken: string;
  admin: { username: string; password: string; token: string };
  tokenFor(role: RoleName): Promise<string>;
  call: Call;
  api: ProcessHandle;
  worker: ProcessHandle;
  modelServers: ProcessHandle[];
  /** Registers examples/models/<modelName>/<version> through the real API (upload + metadata); creates the model on first use. */
  registerExample(modelName: string, version: string): Promise<{ modelId: string; versionId: string }>;
  /** Polls GET /api/v1/deployments/{id} until predicate(body) or throws with the last body after timeoutMs. */
  waitForDeployment(id: string, predicate: (d: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Every process's recent output (the last `perProcess` characters of each, default 6000), for failure messages. */
  outputs(perProcess?: number): string;
  /**
   * One line for the test output, so a red CI run says what state the stack was in: whether its
   * database still answers (a 5-s bound), and the processes' warnings and errors by message.
   */
  diagnose(): Promise<string>;
  stop(): Promise<void>;
}

/** The warn/error lines of JSON logs, counted by level and message, most frequent first. */
export function summarizeLogProblems(output: string, top = 6): string {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !/"level":"(warn|error|fatal)"/.test(line)) continue;
    try {
      const j = JSON.parse(line) as { level?: string; service?: string; msg?: string };
      const key = `${j.level} ${j.service ?? '?'}: ${j.msg ?? '(no msg)'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      /* a line cut by the output limit */
    }
  }
  if (counts.size === 0) return 'no warnings or errors';
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, n]) => `${n}× ${k}`)
    .join('; ');
}

const ROOT = path.join(__dirname, '..', '..');

/** Children still running, killed if this process exits without stop() (a killed test run). */
const living = new Set<number>();
function killLiving(): void {
  for (const pid of living) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
// Best effort only: inside jest's sandbox neither this nor signal handlers run when the jest
// process itself is killed by a signal; stop() (afterAll) is what normally ends the children.
process.once('exit', killLiving);
const OUTPUT_LIMIT = 512 * 1024;

/** Test-friendly intervals; a caller's `env` overrides any of them. */
export const E2E_FAST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  MODEL_SERVER_HEARTBEAT_MS: '500',
  MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: '10000',
  GATEWAY_ROUTING_POLL_MS: '200',
  GATEWAY_SERVER_POLL_MS: '250',
  GATEWAY_HEARTBEAT_MS: '500',
  METRICS_FLUSH_MS: '500',
  PREDICTION_LOG_FLUSH_MS: '100',
  METRICS_SETTLE_MS: '1200',
  ROUTE_CONFIRM_TIMEOUT_MS: '20000',
  RATE_LIMIT_REGISTER_PER_MIN: '1000',
  RATE_LIMIT_DEPLOY_PER_MIN: '1000',
  RATE_LIMIT_INFERENCE_PER_MIN: '1000000',
  RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: '1000000',
  RATE_LIMIT_LOGIN_PER_MIN: '1000',
  DEPLOYMENT_APPROVAL_TIMEOUT: 'PT10M',
  DEPLOYMENT_COMMAND_TIMEOUT_MS: '30000',
  WARMUP_RUNS: '2',
};

interface Spec {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  ready: Probe;
}

async function pollUntil(what: string, probe: Probe, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed();
    if (why) throw new Error(`${what}: ${why}`);
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** One child process: spawned in its own group, output kept, readiness by probe. */
class ChildHandle implements ProcessHandle {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitInfo: string | undefined;
  private log = '';

  constructor(private readonly spec: Spec) {}

  get name(): string {
    return this.spec.name;
  }

  pid(): number | undefined {
    return this.child && this.exitInfo === undefined ? this.child.pid : undefined;
  }

  running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  output(): string {
    return this.log;
  }

  private append(text: string): void {
    this.log += text;
    if (this.log.length > OUTPUT_LIMIT) this.log = this.log.slice(this.log.length - OUTPUT_LIMIT);
  }

  async start(): Promise<void> {
    if (this.running()) throw new Error(`${this.name} is already running (pid ${this.child?.pid})`);
    this.exitInfo = undefined;
    this.append(`--- starting ${this.name} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, this.spec.entry)], {
      cwd: ROOT,
      env: this.spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => this.append(d.toString()));
    child.stderr.on('data', (d: Buffer) => this.append(d.toString()));
    this.exited = new Promise((resolve) => {
      const done = (why: string) => {
        if (child.pid !== undefined) living.delete(child.pid);
        if (this.child === child && this.exitInfo === undefined) this.exitInfo = why;
        this.append(`--- ${this.name} ${why}\n`);
        resolve();
      };
      child.once('exit', (code, signal) => done(signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.once('error', (e) => done(`failed to spawn: ${e.message}`));
    });
    try {
      await pollUntil(`${this.name} failed to start`, this.spec.ready, 90_000, () => this.exitInfo);
    } catch (e) {
      await this.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n--- output of ${this.name}:\n${this.log.slice(-8000)}`);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo !== undefined || child.pid === undefined) return this.exited;
    try {
      // The whole group: tsx may run the entry in a child of its own.
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
    if (signal === 'SIGKILL') return this.exited;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Starts model servers, worker and api (in that order) as child processes on free ports, with
 * generated secrets, a temp artifact folder, the run's FerretDB (own database) and Temporal dev
 * server (own task queue), and logs in the bootstrap admin.
 */
/** For a beforeAll that starts a stack: the wait for the one-stack-at-a-time lock plus start-up. */
export const E2E_BEFORE_ALL_TIMEOUT_MS = 20 * 60_000;

export async function startE2EStack(opts: { modelServers?: number; env?: Record<string, string> } = {}): Promise<E2EStack> {
  const releaseLock = await acquireE2ELock(E2E_BEFORE_ALL_TIMEOUT_MS - 3 * 60_000);
  try {
    return await startLockedStack(opts, releaseLock);
  } catch (e) {
    releaseLock();
    throw e;
  }
}

async function startLockedStack(opts: { modelServers?: number; env?: Record<string, string> }, releaseLock: () => void): Promise<E2EStack> {
  const serverCount = opts.modelServers ?? 2;
  const mongoUri = testMongoUri();
  const temporalAddress = testTemporalAddress();
  const dbName = uniqueDbName('e2e');
  const taskQueue = uniqueTaskQueue('e2e');
  const dir = makeTestDir('e2e-stack');
  const artifactDir = path.join(dir, 'artifacts');
  fs.mkdirSync(artifactDir, { recursive: true });
  const serviceToken = randomBytes(24).toString('base64url');
  const jwtSecret = randomBytes(48).toString('base64url');
  const adminPassword = randomBytes(18).toString('base64url');
  // Stable ports: a process killed here restarts on its port, which no one else may take meanwhile.
  const [apiPort, workerPort, ...serverPorts] = await freeStablePorts(2 + serverCount);
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...E2E_FAST_ENV,
    MONGODB_URI: mongoUri,
    MONGODB_DB: dbName,
    SERVICE_TOKEN: serviceToken,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ARTIFACT_STORE: 'fs',
    ARTIFACT_DIR: artifactDir,
    ...opts.env,
  };

  const modelServers = serverPorts.map((port, i) => {
    const id = `server-${i + 1}`;
    const url = `http://127.0.0.1:${port}`;
    return new ChildHandle({
      name: id,
      entry: 'model-server/main.ts',
      env: { ...base, MODEL_SERVER_ID: id, MODEL_SERVER_HOST: '127.0.0.1', MODEL_SERVER_PORT: String(port), MODEL_SERVER_URL: url, MODEL_SERVER_CACHE_DIR: path.join(dir, 'cache', id), ...opts.env },
      ready: httpProbe(`${url}/`),
    });
  });
  const worker = new ChildHandle({
    name: 'worker',
    entry: 'worker/main.ts',
    env: { ...base, WORKER_METRICS_PORT: String(workerPort), SAMPLE_SETS_DIR: path.join(ROOT, 'examples', 'models'), ...opts.env },
    ready: httpProbe(`http://127.0.0.1:${workerPort}/health`, (s) => s === 200),
  });
  const api = new ChildHandle({
    name: 'api',
    entry: 'api/main.ts',
    env: {
      ...base,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      JWT_SECRET: jwtSecret,
      BOOTSTRAP_ADMIN_USERNAME: 'admin',
      BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      PREDICTION_SPILL_DIR: path.join(dir, 'spill'),
      ...opts.env,
    },
    ready: httpProbe(`${apiUrl}/health/live`, (s) => s === 200),
  });
  const all: ChildHandle[] = [...modelServers, worker, api];

  const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 10_000 });
  const outputs = (perProcess = 6000) => all.map((p) => `===== ${p.name} =====\n${p.output().slice(-perProcess)}`).join('\n');

  const stop = async () => {
    await Promise.all(all.map((p) => p.kill('SIGKILL')));
    // The database is NOT dropped: FerretDB's SQLite backend deletes the file while queries of
    // the just-killed processes may still run on it, and crashed with SIGBUS (a read of the
    // deleted, memory-mapped WAL index) doing so. The run's whole FerretDB folder goes at teardown.
    await client.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    releaseLock();
  };

  try {
    await client.connect();
    // Stage 1 then stage 2, as the real stack starts them (the api expects live servers soon after).
    await Promise.all([...modelServers, worker].map((p) => p.start()));
    await api.start();
  } catch (e) {
    await stop();
    throw e;
  }

  const call = apiCaller(apiUrl);

  let adminToken: string;
  try {
    adminToken = await login(call, 'admin', adminPassword);
  } catch (e) {
    const out = outputs();
    await stop();
    throw new Error(`${(e as Error).message}\n${out}`);
  }

  const tokenFor = tokenCache(call, () => Promise.resolve(adminToken));

  const registerExample: E2EStack['registerExample'] = async (modelName, version) => {
    const ex = exampleModel(modelName, version);
    const existing = await call('GET', `/api/v1/models/${encodeURIComponent(modelName)}`, { token: adminToken });
    const res =
      existing.status === 404
        ? await call('POST', '/api/v1/models', { token: adminToken, rawBody: uploadForm({ ...ex.metadata, name: modelName }, ex.onnx) })
        : await call('POST', `/api/v1/models/${existing.body.modelId}/versions`, { token: adminToken, rawBody: uploadForm(versionBody(ex.metadata), ex.onnx) });
    if (res.status !== 201) throw new Error(`registering ${modelName} ${version} failed: ${res.status} ${JSON.stringify(res.body)}`);
    const v = await call('GET', `/api/v1/models/${encodeURIComponent(modelName)}/versions/${encodeURIComponent(version)}`, { token: adminToken });
    if (v.status !== 200) throw new Error(`reading ${modelName} ${version} failed: ${v.status} ${JSON.stringify(v.body)}`);
    return { modelId: v.body.modelId, versionId: v.body.versionId };
  };

  const waitForDeployment: E2EStack['waitForDeployment'] = async (id, predicate, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    for (;;) {
      const res = await call('GET', `/api/v1/deployments/${encodeURIComponent(id)}`, { token: adminToken }).catch((e: Error) => ({ status: 0, body: { error: e.message } }));
      last = res.body;
      if (res.status === 200 && predicate(last)) return last;
      if (Date.now() > deadline) throw new Error(`deployment ${id}: condition not met after ${timeoutMs} ms; last (${res.status}): ${JSON.stringify(last)?.slice(0, 6000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  return {
    apiUrl,
    dbName,
    db: client.db(dbName),
    taskQueue,
    temporalAddress,
    artifactDir,
    serviceToken,
    admin: { username: 'admin', password: adminPassword, token: adminToken },
    tokenFor,
    call,
    api,
    worker,
    modelServers,
    registerExample,
    waitForDeployment,
    outputs,
    diagnose: async () => {
      const t0 = performance.now();
      const answered = await Promise.race([
        client
          .db(dbName)
          .collection('model_servers')
          .findOne({})
          .then(
            () => `database answered in ${Math.round(performance.now() - t0)} ms`,
            (e: Error) => `database failed: ${e.message}`,
          ),
        new Promise<string>((r) => setTimeout(() => r('database did NOT answer within 5 s'), 5000).unref()),
      ]);
      return `${answered}; logs: ${summarizeLogProblems(outputs(Infinity))}`;
    },
    stop,
  };
}
