/**
 * The stack the fault suite and the soak break: the real supervisor of `npm start`
 * (ops/stack.ts: Temporal dev server, api, worker, two model servers, restarted with backoff
 * when they crash) as a child process, against a FerretDB and a SeaweedFS S3 that this harness
 * runs itself (restarted as a process manager would), each behind a TCP proxy that can be cut.
 * Processes are found by the pid files the supervisor writes, and signalled like `kill` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { freeStablePorts, isPortFree } from '../../ops/free-port';
import { fileSink } from '../../ops/log-output';
import { isRecordedProcessAlive, killStaleProcesses, readPidFile, writePidFile } from '../../ops/pid-files';
import type { ManagedProcess } from '../../ops/process-supervisor';
import { repoRoot, toolsDir } from '../../ops/repo-paths';
import { ferretDb } from '../../ops/services/ferretdb';
import { seaweedFs } from '../../ops/services/seaweedfs';
import { processMemory } from '../../bench/proc-stats';
import { E2E_FAST_ENV } from '../helpers/stack-harness';
import { apiCaller, login, type Call } from '../helpers/http-client';
import { exampleModel, uploadForm, versionBody } from '../helpers/example-models';
import { until } from '../helpers/until';
import { TcpProxy } from './tcp-proxy';

/** What the supervisor runs (its pid files are named so) and what the harness runs itself. */
export type SupervisedName = 'api' | 'worker' | 'server-1' | 'server-2' | 'temporal';
export type ProcessName = SupervisedName | 'ferretdb' | 'seaweedfs';
export const SUPERVISED: SupervisedName[] = ['temporal', 'server-1', 'server-2', 'worker', 'api'];

export class StackStartError extends Error {
  constructor(reason: string, readonly output: string) {
    super(`the stack did not start: ${reason}\n--- last output:\n${output.slice(-6000)}`);
    this.name = 'StackStartError';
  }
}

export class ProcessNotRunningError extends Error {
  constructor(name: ProcessName) {
    super(`${name} is not running`);
    this.name = 'ProcessNotRunningError';
  }
}

export interface FaultStackOptions {
  /** State of every service and process, and their logs (left in place for a post-mortem). */
  dir: string;
  /** A built `dist/` (npm run build); the TypeScript sources through tsx when omitted. */
  distDir: string;
  /** Overrides of the processes' environment. */
  env?: Record<string, string>;
}

const DB_NAME = 'hotswap';
const BUCKET = 'hotswap-faults';
const RESTART = { initialDelayMs: 1000, maxDelayMs: 30_000, resetAfterMs: 60_000 };
const BANNER = /HotSwap is up/;

/** Two consecutive stable ports (the stack gives model server i the port MODEL_SERVER_PORT+i-1). */
async function consecutiveStablePorts(): Promise<number> {
  for (;;) {
    const [p] = await freeStablePorts(1);
    if (await isPortFree(p + 1)) return p;
  }
}

export class FaultStack {
  readonly apiUrl: string;
  readonly call: Call;
  readonly dbName = DB_NAME;
  admin = { username: 'admin', password: randomBytes(18).toString('base64url'), token: '' };
  /** A client straight to FerretDB (not through the proxy), for checks while the proxy is cut. */
  private mongo: MongoClient | undefined;
  private supervisor: ChildProcess | undefined;
  private supervisorExited: Promise<void> = Promise.resolve();
  private output = '';
  private readonly runDir: string;
  private readonly logs: string;

  private constructor(
    private readonly opts: FaultStackOptions,
    private readonly ferret: ManagedProcess,
    private readonly s3: ManagedProcess,
    readonly dbProxy: TcpProxy,
    readonly s3Proxy: TcpProxy,
    private readonly stackEnv: NodeJS.ProcessEnv,
  ) {
    this.apiUrl = `http://127.0.0.1:${stackEnv.API_PORT}`;
    this.call = apiCaller(this.apiUrl);
    this.runDir = path.join(stackEnv.HOTSWAP_DATA_DIR!, 'run');
    this.logs = path.join(opts.dir, 'logs');
  }

  /** Starts FerretDB, SeaweedFS, their proxies and the stack; logs the admin in. */
  static async start(opts: FaultStackOptions): Promise<FaultStack> {
    fs.mkdirSync(opts.dir, { recursive: true });
    // Marks the folder as in use: jest's global setup removes folders of .test-data/ without a live owner.
    writePidFile(path.join(opts.dir, 'owner.pid'), { pid: process.pid, command: process.argv[0], startedAt: new Date().toISOString(), owner: process.pid });
    const logs = path.join(opts.dir, 'logs');
    const [ferretPort, dbProxyPort, s3ProxyPort, temporal, temporalUi, api, worker] = await freeStablePorts(7);
    const serverBase = await consecutiveStablePorts();
    const common = (name: string) => ({ dataDir: path.join(opts.dir, name), output: fileSink(path.join(logs, `${name}.log`)), restart: RESTART });
    const ferret = ferretDb({ ...common('ferretdb'), port: ferretPort });
    const s3 = await seaweedFs(common('seaweedfs'));
    const s3Target = new URL(s3.endpoint);
    const dbProxy = new TcpProxy(dbProxyPort, { host: '127.0.0.1', port: ferretPort });
    const s3Proxy = new TcpProxy(s3ProxyPort, { host: s3Target.hostname, port: Number(s3Target.port) });
    try {
      await Promise.all([ferret.process.start(), s3.process.start(), dbProxy.start(), s3Proxy.start()]);
    } catch (e) {
      await Promise.all([ferret.process.stop(), s3.process.stop(), dbProxy.stop(), s3Proxy.stop()]);
      throw e;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOTSWAP_TOOLS_DIR: toolsDir(),
      HOTSWAP_DATA_DIR: path.join(opts.dir, 'stack'),
      HOTSWAP_DIST_DIR: opts.distDir,
      HOTSWAP_TEMPORAL_PORT: String(temporal),
      HOTSWAP_TEMPORAL_UI_PORT: String(temporalUi),
      HOTSWAP_MODEL_SERVERS: '2',
      MODEL_SERVER_PORT: String(serverBase),
      WORKER_METRICS_PORT: String(worker),
      API_PORT: String(api),
      ...E2E_FAST_ENV,
      LOG_LEVEL: 'warn',
      // A killed or frozen server is what is under test: the gateway's retry and panic mode
      // must cover it, not a heartbeat timeout shorter than the machine's lag (see canary.e2e).
      MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: '30000',
      MONGODB_URI: `mongodb://${dbProxy.url}/`,
      MONGODB_DB: DB_NAME,
      S3_ENDPOINT: `http://${s3Proxy.url}`,
      S3_REGION: s3.region,
      S3_BUCKET: BUCKET,
      S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      SERVICE_TOKEN: randomBytes(24).toString('base64url'),
      JWT_SECRET: randomBytes(48).toString('base64url'),
      SAMPLE_SETS_DIR: path.join(repoRoot(), 'examples', 'models'),
      PREDICTION_SPILL_DIR: path.join(opts.dir, 'prediction-spill'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...opts.env,
    };
    const stack = new FaultStack(opts, ferret.process, s3.process, dbProxy, s3Proxy, env);
    env.BOOTSTRAP_ADMIN_PASSWORD = stack.admin.password;
    try {
      stack.mongo = await new MongoClient(ferret.uri, { serverSelectionTimeoutMS: 10_000 }).connect();
      await stack.startSupervisor();
    } catch (e) {
      await stack.stop();
      throw e;
    }
    return stack;
  }

  get db(): Db {
    return this.mongo!.db(DB_NAME);
  }

  /** The model servers' control API credential (SERVICE_TOKEN). */
  get serviceToken(): string {
    return this.stackEnv.SERVICE_TOKEN!;
  }

  get dataDir(): string {
    return this.opts.dir;
  }

  /** The supervisor's recent output (its lines and its children's). */
  recentOutput(chars = 6000): string {
    return this.output.slice(-chars);
  }

  /** Runs ops/stack.ts and waits for its banner; logs the admin in. */
  async startSupervisor(): Promise<void> {
    const root = repoRoot();
    const built = path.join(this.opts.distDir, 'ops', 'stack.js');
    const args = fs.existsSync(built) ? ['--enable-source-maps', built] : ['--import', 'tsx', path.join(root, 'ops', 'stack.ts')];
    const sink = fileSink(path.join(this.logs, 'stack.log'));
    const child = spawn(process.execPath, args, { cwd: root, env: this.stackEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.supervisor = child;
    let exited = false;
    this.supervisorExited = new Promise((resolve) => child.once('exit', () => ((exited = true), resolve())));
    const append = (d: Buffer) => {
      const text = d.toString();
      this.output = (this.output + text).slice(-256 * 1024);
      for (const line of text.split('\n')) if (line) sink(line, 'stdout');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const from = this.output.length;
    await until('the stack banner', () => {
      if (exited) throw new StackStartError('the supervisor exited', this.output);
      return BANNER.test(this.output.slice(Math.max(0, from - 200)));
    }, 240_000, 200).catch((e: Error) => {
      throw e instanceof StackStartError ? e : new StackStartError(e.message, this.output);
    });
    this.admin.token = await login(this.call, this.admin.username, this.admin.password);
  }

  /** Ctrl-C as a user does it: SIGINT to the supervisor, which stops every child in order. */
  async stopSupervisor(): Promise<void> {
    const child = this.supervisor;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await this.supervisorExited;
    clearTimeout(timer);
    // What a supervisor killed by the timeout left behind.
    await killStaleProcesses(this.runDir, { except: ['stack.pid'] });
  }

  /** Stops FerretDB and starts it again (a whole-stack restart includes the database). */
  async restartDatabase(): Promise<void> {
    await this.ferret.stop();
    await this.ferret.start();
  }

  /** Thaws every frozen process and reconnects both proxies (idempotent): the state a fault must leave. */
  async heal(): Promise<void> {
    for (const name of [...SUPERVISED, 'ferretdb', 'seaweedfs'] as ProcessName[]) {
      if (this.pid(name) !== undefined) this.signal(name, 'SIGCONT');
    }
    if (this.dbProxy.cut) await this.dbProxy.restore();
    if (this.s3Proxy.cut) await this.s3Proxy.restore();
  }

  /** The pid of a running process, or undefined. */
  pid(name: ProcessName): number | undefined {
    if (name === 'ferretdb') return this.ferret.pid;
    if (name === 'seaweedfs') return this.s3.pid;
    const record = readPidFile(path.join(this.runDir, `${name}.pid`));
    return record && isRecordedProcessAlive(record) ? record.pid : undefined;
  }

  /** `kill -<signal> <pid>`; SIGSTOP and SIGCONT go to the whole process group (a frozen process freezes its helpers too). */
  signal(name: ProcessName, signal: NodeJS.Signals): number {
    const pid = this.pid(name);
    if (pid === undefined) throw new ProcessNotRunningError(name);
    process.kill(signal === 'SIGSTOP' || signal === 'SIGCONT' ? -pid : pid, signal);
    return pid;
  }

  /** Waits until `name` runs with another pid than `previous` (restarted) and answers again. */
  async waitRestarted(name: ProcessName, previous: number, timeoutMs = 120_000): Promise<number> {
    const pid = await until(`${name} restarted`, () => {
      const now = this.pid(name);
      return now !== undefined && now !== previous ? now : undefined;
    }, timeoutMs, 100);
    await until(`${name} ready after its restart`, () => this.answers(name), timeoutMs, 200);
    return pid;
  }

  /** Whether a process answers on its port (api and model servers over HTTP, the rest by TCP). */
  async answers(name: ProcessName): Promise<boolean> {
    const url: Partial<Record<ProcessName, string>> = {
      api: `${this.apiUrl}/health/live`,
      worker: `http://127.0.0.1:${this.stackEnv.WORKER_METRICS_PORT}/metrics`,
      'server-1': `http://127.0.0.1:${Number(this.stackEnv.MODEL_SERVER_PORT)}/`,
      'server-2': `http://127.0.0.1:${Number(this.stackEnv.MODEL_SERVER_PORT) + 1}/`,
    };
    const target = url[name];
    if (!target) return name === 'ferretdb' ? this.ferret.running : name === 'seaweedfs' ? this.s3.running : this.pid(name) !== undefined;
    try {
      const res = await fetch(target, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return true;
    } catch {
      return false;
    }
  }

  /** Resident memory of every process of the stack, in bytes (the supervisor's children and the services). */
  rss(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...SUPERVISED, 'ferretdb', 'seaweedfs'] as ProcessName[]) {
      const pid = this.pid(name);
      if (pid === undefined) continue;
      try {
        out[name] = processMemory(pid).rss;
      } catch {
        /* exited meanwhile */
      }
    }
    return out;
  }

  /** Bytes FerretDB keeps on disk for the database (its SQLite file, WAL included). */
  databaseBytes(): number {
    const dir = path.join(this.opts.dir, 'ferretdb');
    return fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(`${DB_NAME}.sqlite`))
      .reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
  }

  /** Registers examples/models/<model>/<version> through the api. */
  async registerExample(modelName: string, version: string): Promise<string> {
    const ex = exampleModel(modelName, version);
    const token = this.admin.token;
    const existing = await this.call('GET', `/api/v1/models/${encodeURIComponent(modelName)}`, { token });
    const res =
      existing.status === 404
        ? await this.call('POST', '/api/v1/models', { token, rawBody: uploadForm({ ...ex.metadata, name: modelName }, ex.onnx) })
        : await this.call('POST', `/api/v1/models/${existing.body.modelId}/versions`, { token, rawBody: uploadForm(versionBody(ex.metadata), ex.onnx) });
    if (res.status !== 201) throw new Error(`registering ${modelName} ${version} failed: ${res.status} ${JSON.stringify(res.body)}`);
    const v = await this.call('GET', `/api/v1/models/${encodeURIComponent(modelName)}/versions/${encodeURIComponent(version)}`, { token });
    return v.body.versionId as string;
  }

  /** Polls the deployment until `predicate` holds; tolerates an api that is down meanwhile. */
  async waitForDeployment(id: string, predicate: (d: any) => boolean, timeoutMs: number): Promise<any> {
    let last: unknown;
    try {
      return await until(`deployment ${id}`, async () => {
        const res = await this.call('GET', `/api/v1/deployments/${encodeURIComponent(id)}`, { token: this.admin.token }).catch(() => undefined);
        if (res?.status !== 200) return undefined;
        last = res.body;
        return predicate(res.body) ? res.body : undefined;
      }, timeoutMs, 250);
    } catch {
      throw new Error(`deployment ${id}: condition not met after ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 3000)}`);
    }
  }

  /** Stops everything this harness started; the state folder stays. */
  async stop(): Promise<void> {
    await this.heal().catch(() => undefined);
    await this.stopSupervisor().catch(() => undefined);
    if (this.supervisor?.pid) await killStaleProcesses(this.runDir).catch(() => undefined);
    await Promise.all([this.dbProxy.stop(), this.s3Proxy.stop()]);
    await this.mongo?.close().catch(() => undefined);
    await Promise.all([this.ferret.stop(), this.s3.stop()]);
  }
}
