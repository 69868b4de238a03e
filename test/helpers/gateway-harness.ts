import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema, type ApiConfig } from '../../infra/config/schemas';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { GatewayRegistry } from '../../infra/mongo/gateway-registry';
import { DesiredStateSource } from '../../infra/mongo/desired-state-source';
import { VersionRepository } from '../../infra/mongo/version-repository';
import { ServerRegistry } from '../../infra/mongo/server-registry';
import { until } from './until';
import { createLogger } from '../../infra/telemetry/logger';
import { startApi, type RunningApi } from '../../api/server';
import type { PredictionRecord, PredictionSink } from '../../api/gateway/prediction-sink';
import type { Role } from '../../domain/permissions';
import { requireEnv } from './api-harness';
import { apiCaller, login, tokenCache, type Call } from './http-client';
import { exampleModel, uploadForm, versionBody } from './example-models';
import { startTestModelServer, type TestModelServer } from './model-server-harness';

/** Collects what the gateway records, for assertions. */
export class RecordingSink implements PredictionSink {
  readonly records: PredictionRecord[] = [];
  record(r: PredictionRecord): void {
    this.records.push(r);
  }
  async waitFor(pred: (rs: PredictionRecord[]) => boolean, timeoutMs = 10_000): Promise<void> {
    await until('prediction records', async () => pred(this.records), timeoutMs);
  }
}

export { until };

export interface GatewayApi {
  api: RunningApi;
  config: ApiConfig;
  url: string;
  dbName: string;
  artifactDir: string;
  sink: RecordingSink;
  tokenFor(role: Role): Promise<string>;
  call: Call;
  /** Stops the api; with drop (default: only when this api created the database), drops the database and artifact folder. */
  close(opts?: { drop?: boolean }): Promise<void>;
}

/** Gateway-friendly defaults for tests: fast polls, no inference rate limit in the way. */
export const FAST_GATEWAY_ENV: Record<string, string> = {
  RATE_LIMIT_REGISTER_PER_MIN: '1000',
  RATE_LIMIT_INFERENCE_PER_MIN: '1000000',
  RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: '1000000',
  GATEWAY_SERVER_POLL_MS: '200',
  MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: '3000',
  MODEL_SERVER_LAST_RESORT_MS: '18000',
};

/**
 * Starts the real api in this process like test/helpers/api-harness.ts does, and also: with a
 * recording prediction sink, and optionally on an existing database and artifact folder (a
 * second gateway replica, or the same deployment after a restart).
 */
export async function startGatewayApi(opts: { dbName?: string; artifactDir?: string; adminPassword?: string; jwtSecret?: string; serviceToken?: string; env?: Record<string, string> } = {}): Promise<GatewayApi & { adminPassword: string; jwtSecret: string; serviceToken: string }> {
  const ownsDb = opts.dbName === undefined;
  const ownsDir = opts.artifactDir === undefined;
  const artifactDir = opts.artifactDir ?? mkdtempSync(join(tmpdir(), 'hotswap-gw-artifacts-'));
  const dbName = opts.dbName ?? `t_gw_${randomBytes(6).toString('hex')}`;
  const adminPassword = opts.adminPassword ?? randomBytes(18).toString('base64url');
  const jwtSecret = opts.jwtSecret ?? randomBytes(48).toString('base64url');
  const serviceToken = opts.serviceToken ?? randomBytes(24).toString('base64url');
  const config = parseEnv(apiConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MONGODB_URI: requireEnv('HOTSWAP_TEST_MONGODB_URI'),
    MONGODB_DB: dbName,
    TEMPORAL_ADDRESS: requireEnv('HOTSWAP_TEST_TEMPORAL_ADDRESS'),
    SERVICE_TOKEN: serviceToken,
    JWT_SECRET: jwtSecret,
    ARTIFACT_DIR: artifactDir,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    BOOTSTRAP_ADMIN_USERNAME: 'admin',
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    ...FAST_GATEWAY_ENV,
    ...opts.env,
  });
  const sink = new RecordingSink();
  const api = await startApi(config, createLogger('api', process.env.HOTSWAP_TEST_API_LOG ?? 'silent'), sink);
  const call = apiCaller(api.url);
  const tokenFor = tokenCache(call, () => login(call, 'admin', adminPassword));

  return {
    api,
    config,
    url: api.url,
    dbName,
    artifactDir,
    sink,
    adminPassword,
    jwtSecret,
    serviceToken,
    tokenFor,
    call,
    close: async ({ drop = ownsDb } = {}) => {
      if (drop) await api.mongo.db.dropDatabase().catch(() => undefined);
      await api.close();
      if (drop && ownsDir) rmSync(artifactDir, { recursive: true, force: true });
    },
  };
}

/** A second replica of a running gateway api: same database, artifacts and secrets. */
export function startReplica(of: Awaited<ReturnType<typeof startGatewayApi>>, env: Record<string, string> = {}) {
  return startGatewayApi({ dbName: of.dbName, artifactDir: of.artifactDir, adminPassword: of.adminPassword, jwtSecret: of.jwtSecret, serviceToken: of.serviceToken, env: { ...env } });
}

export interface RegisteredVersion {
  modelId: string;
  modelName: string;
  versionId: string;
  version: string;
  artifactKey: string;
  checksum: string;
  /** null for an OIP-only version. */
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
}

/**
 * Registers an example model version through the registry API (multipart upload): the model
 * with its first version, or a further version of an existing model.
 */
export async function registerExample(t: GatewayApi, token: string, model: string, version: string, as = model): Promise<RegisteredVersion> {
  const ex = exampleModel(model, version);
  const existing = await t.call('GET', `/api/v1/models/${as}`, { token });
  const res =
    existing.status === 404
      ? await t.call('POST', '/api/v1/models', { token, rawBody: uploadForm({ ...ex.metadata, name: as }, ex.onnx) })
      : await t.call('POST', `/api/v1/models/${existing.body.modelId}/versions`, { token, rawBody: uploadForm(versionBody(ex.metadata), ex.onnx) });
  if (res.status !== 201) throw new Error(`registering ${as} ${version} failed: ${res.status} ${JSON.stringify(res.body)}`);
  const v = await t.call('GET', `/api/v1/models/${as}/versions/${version}`, { token });
  return {
    modelId: v.body.modelId,
    modelName: as,
    versionId: v.body.versionId,
    version,
    artifactKey: String(v.body.artifactPath).replace(/^fs:\/\//, ''),
    checksum: v.body.checksum,
    inputSchema: v.body.inputSchema,
    outputSchema: v.body.outputSchema,
  };
}

/** The control API's load body for a registered version. */
export function controlLoadBody(v: RegisteredVersion, options: Record<string, unknown> = { warmupRuns: 2 }) {
  return { versionId: v.versionId, modelName: v.modelName, version: v.version, artifactKey: v.artifactKey, checksum: v.checksum, inputSchema: v.inputSchema, outputSchema: v.outputSchema, options };
}

/** An in-process model server reading the api's artifact folder and heartbeating into its database, with the api's service token. */
export async function startFleetServer(t: GatewayApi, env: Record<string, string> = {}, opts: { reconcile?: boolean } = {}): Promise<TestModelServer> {
  const db = t.api.mongo.db;
  return startTestModelServer(
    { MODEL_SERVER_HEARTBEAT_MS: '200', SERVICE_TOKEN: t.config.SERVICE_TOKEN, MODEL_SERVER_HEARTBEAT_TIMEOUT_MS: t.config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS.toString(), ...env },
    {
      artifactStore: new FilesystemArtifactStore(t.artifactDir),
      serverRegistry: new ServerRegistry(db),
      // With reconcile: the server converges to the stored desired state by itself, as a real one does.
      ...(opts.reconcile && { desiredState: { source: new DesiredStateSource(db, t.config.MODEL_SERVER_HEARTBEAT_TIMEOUT_MS), versions: new VersionRepository(db) } }),
    },
  );
}

/** Loads a registered version on an in-process server through its control API. */
export async function loadOn(ms: { url: string; token: string }, v: RegisteredVersion, options?: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${ms.url}/control/versions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ms.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(controlLoadBody(v, options)),
  });
  if (res.status !== 200) throw new Error(`load ${v.modelName} ${v.version} failed: ${res.status} ${await res.text()}`);
}

export async function unloadFrom(ms: { url: string; token: string }, v: RegisteredVersion): Promise<void> {
  const res = await fetch(`${ms.url}/control/versions/${encodeURIComponent(v.versionId)}`, { method: 'DELETE', headers: { authorization: `Bearer ${ms.token}` } });
  if (res.status !== 200) throw new Error(`unload ${v.modelName} ${v.version} failed: ${res.status} ${await res.text()}`);
}

/**
 * One example version served end to end: registered, loaded on a new in-process model server,
 * Ready, and all of the environment's traffic routed to it.
 */
export async function serveExample(t: GatewayApi, adminToken: string, model: string, version: string, environment = 'Production'): Promise<{ registered: RegisteredVersion; server: TestModelServer }> {
  const registered = await registerExample(t, adminToken, model, version);
  return { registered, server: await serveRegistered(t, adminToken, registered, environment) };
}

/** A registered version loaded on a new in-process model server, Ready, with all of the environment's traffic routed to it. */
export async function serveRegistered(t: GatewayApi, adminToken: string, registered: RegisteredVersion, environment = 'Production'): Promise<TestModelServer> {
  const server = await startFleetServer(t);
  await loadOn(server, registered);
  await waitForReady(t, registered);
  await setRoute(t, adminToken, registered.modelName, { pools: [{ version: registered.version, weight: 100 }] }, environment);
  return server;
}

/** Waits until the model_servers collection shows the version Ready on `n` servers. */
export async function waitForReady(t: GatewayApi, v: RegisteredVersion, n = 1): Promise<void> {
  const servers = new ServerRegistry(t.api.mongo.db);
  await until(`${v.version} Ready on ${n} server(s)`, async () => {
    const live = await servers.live(10_000);
    return live.filter((s) => s.health !== 'draining' && s.loaded.some((l) => l.versionId === v.versionId && l.state === 'Ready')).length >= n;
  });
}

/** PUTs a routing table and waits until every live gateway serves the new revision. */
export async function setRoute(t: GatewayApi, token: string, model: string, body: Record<string, unknown>, environment = 'Production'): Promise<number> {
  const res = await t.call('PUT', `/api/v1/routing/${model}/${environment}`, { token, body });
  if (res.status !== 200) throw new Error(`PUT route failed: ${res.status} ${JSON.stringify(res.body)}`);
  const wait = await new GatewayRegistry(t.api.mongo.db).waitForRevision(res.body.modelId, res.body.environment, res.body.revision, 5_000);
  if (!wait.reached) throw new Error(`gateways did not apply revision ${res.body.revision}: ${JSON.stringify(wait.lagging)}`);
  return res.body.revision;
}

export const FRAUD = { transaction_amount: 115.04, merchant_category: 'grocery', user_age_days: 107, transaction_hour: 4, is_international: true };

/** Fraud-detection feature rows that differ (for cache and batch tests). */
export function fraudRow(i: number) {
  const cats = ['retail', 'electronics', 'travel', 'grocery', 'online'];
  return { transaction_amount: 10 + ((i * 37) % 5000), merchant_category: cats[i % cats.length], user_age_days: (i * 13) % 3000, transaction_hour: i % 24, is_international: i % 3 === 0 };
}

/** A model server as a child process (tsx model-server/main.ts), so a test can kill -9 it. */
export interface ChildModelServer {
  child: ChildProcess;
  url: string;
  id: string;
  token: string;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnModelServer(t: GatewayApi, env: Record<string, string> = {}): Promise<ChildModelServer> {
  const root = join(__dirname, '..', '..');
  const cacheDir = mkdtempSync(join(tmpdir(), 'hotswap-gw-child-cache-'));
  const id = `child-${randomBytes(3).toString('hex')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'model-server', 'main.ts')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      MONGODB_URI: requireEnv('HOTSWAP_TEST_MONGODB_URI'),
      MONGODB_DB: t.dbName,
      SERVICE_TOKEN: t.config.SERVICE_TOKEN,
      ARTIFACT_STORE: 'fs',
      ARTIFACT_DIR: t.artifactDir,
      MODEL_SERVER_ID: id,
      MODEL_SERVER_HOST: '127.0.0.1',
      MODEL_SERVER_PORT: '0',
      MODEL_SERVER_CACHE_DIR: cacheDir,
      MODEL_SERVER_HEARTBEAT_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => rmSync(cacheDir, { recursive: true, force: true }));
  let url: string;
  try {
    url = await until('the model server to listen', async () => /"url":"(http:\/\/[^"]+)".*"msg":"model server listening"/.exec(out)?.[1], 30_000, 50);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return {
    child,
    url,
    id,
    token: t.config.SERVICE_TOKEN,
    log: () => out,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Calls `infer` one request at a time, 100 ms apart, for `ms`: every status, and the request
 * ids of the 200s (an outage's traffic, to check afterwards in the prediction log).
 */
export async function inferFor(ms: number, infer: () => Promise<{ status: number; body: any }>): Promise<{ statuses: number[]; answered: string[] }> {
  const statuses: number[] = [];
  const answered: string[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = await infer();
    statuses.push(r.status);
    if (r.status === 200) answered.push(r.body.requestId);
    await new Promise((res) => setTimeout(res, 100));
  }
  return { statuses, answered };
}
