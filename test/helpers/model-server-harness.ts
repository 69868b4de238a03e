import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import vm from 'node:vm';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';
import { parseEnv } from '../../infra/config/load';
import { modelServerConfigSchema, type ModelServerConfig } from '../../infra/config/schemas';
import { createProcessMetrics } from '../../infra/telemetry/metrics';
import { createLogger } from '../../infra/telemetry/logger';
import { startModelServer, type ModelServerDeps, type RunningModelServer } from '../../model-server/start-model-server';
import { exampleModel } from './example-models';

/**
 * Jest runs test code in its own V8 realm, but onnxruntime-node's native code creates output
 * typed arrays in the main realm, so onnxruntime-common's `data instanceof Float32Array`
 * check fails for every session.run inside jest ("A float32 tensor's data must be type of
 * function Float32Array()"). Outside jest (real processes) there is one realm and no problem.
 * Here the sandbox's typed-array globals and onnxruntime-common's type maps are pointed at the
 * main realm's constructors, so sandbox code and native code agree.
 */
function shareTypedArraysWithNativeCode(): void {
  const names = ['Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray'];
  const g = globalThis as Record<string, unknown>;
  for (const n of names) g[n] = vm.runInThisContext(n);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const maps = require(join(dirname(require.resolve('onnxruntime-common')), 'tensor-impl-type-mapping.js')) as {
    checkTypedArray(): void;
    NUMERIC_TENSOR_TYPE_TO_TYPEDARRAY_MAP: Map<string, { name: string }>;
    NUMERIC_TENSOR_TYPEDARRAY_TO_TYPE_MAP: Map<unknown, string>;
  };
  maps.checkTypedArray();
  for (const [type, ctor] of maps.NUMERIC_TENSOR_TYPE_TO_TYPEDARRAY_MAP) {
    const outer = g[ctor.name] as { name: string } | undefined;
    if (outer) {
      maps.NUMERIC_TENSOR_TYPE_TO_TYPEDARRAY_MAP.set(type, outer);
      if (type !== 'bool' && type !== 'int4' && type !== 'uint4') maps.NUMERIC_TENSOR_TYPEDARRAY_TO_TYPE_MAP.set(outer, type);
    }
  }
}
shareTypedArraysWithNativeCode();

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestModelServer {
  server: RunningModelServer;
  /** The id it reports in heartbeats. */
  serverId: string;
  url: string;
  token: string;
  config: ModelServerConfig;
  artifactDir: string;
  store: FilesystemArtifactStore;
  /** `auth`: send the service token (`Authorization: Bearer <token>`), as the gateway does; the control API and inference need it. */
  call<T = any>(method: string, path: string, opts?: { body?: unknown; rawBody?: string; headers?: Record<string, string>; auth?: boolean }): Promise<CallResult<T>>;
  /** POST /control/versions for an example model (uploaded to the store on first use). */
  load<T = any>(model: string, version: string, overrides?: Record<string, unknown>): Promise<CallResult<T>>;
  unload<T = any>(versionId: string): Promise<CallResult<T>>;
  close(): Promise<void>;
}

/** The artifact key example model versions get in the test store. */
export const exampleKey = (model: string, version: string) => `models/${model}/${version}/model.onnx`;
export const versionIdOf = (model: string, version: string) => `${model}@${version}`;

/** The control API's load body for an example model version. */
export function loadBody(model: string, version: string, overrides: Record<string, unknown> = {}) {
  const ex = exampleModel(model, version);
  return {
    versionId: versionIdOf(model, version),
    modelName: model,
    version,
    artifactKey: exampleKey(model, version),
    checksum: `sha256:${ex.sha256}`,
    inputSchema: ex.metadata.inputSchema,
    outputSchema: ex.metadata.outputSchema,
    options: { warmupRuns: 2 },
    ...overrides,
  };
}

/**
 * Starts a model server in this process (so coverage counts) with a fresh filesystem artifact
 * store and cache directory. No heartbeat unless deps.serverRegistry is given.
 */
export async function startTestModelServer(env: Record<string, string> = {}, deps: Partial<ModelServerDeps> = {}): Promise<TestModelServer> {
  const artifactDir = mkdtempSync(join(tmpdir(), 'hotswap-ms-artifacts-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'hotswap-ms-cache-'));
  const config = parseEnv(modelServerConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MONGODB_URI: process.env.HOTSWAP_TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:1',
    SERVICE_TOKEN: randomBytes(24).toString('base64url'),
    ARTIFACT_DIR: artifactDir,
    MODEL_SERVER_HOST: '127.0.0.1',
    MODEL_SERVER_PORT: '0',
    MODEL_SERVER_CACHE_DIR: cacheDir,
    MODEL_SERVER_ID: `test-${randomBytes(4).toString('hex')}`,
    ...env,
  });
  const token = config.SERVICE_TOKEN;
  const store = new FilesystemArtifactStore(artifactDir);
  await store.init();
  const server = await startModelServer(config, {
    artifactStore: store,
    logger: createLogger('model-server', config.LOG_LEVEL),
    processMetrics: createProcessMetrics('model-server'),
    ...deps,
  });
  const uploaded = new Set<string>();

  const call: TestModelServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.auth) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON (metrics) */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  async function upload(model: string, version: string): Promise<void> {
    const key = exampleKey(model, version);
    if (uploaded.has(key)) return;
    await store.put(key, Readable.from([exampleModel(model, version).onnx]));
    uploaded.add(key);
  }

  return {
    server,
    serverId: server.serverId,
    url: server.url,
    token,
    config,
    artifactDir,
    store,
    call,
    async load(model, version, overrides = {}) {
      await upload(model, version);
      return call('POST', '/control/versions', { auth: true, body: loadBody(model, version, overrides) });
    },
    unload: (versionId) => call('DELETE', `/control/versions/${encodeURIComponent(versionId)}`, { auth: true }),
    async close() {
      await server.close();
      rmSync(artifactDir, { recursive: true, force: true });
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Reads one sample of a Prometheus text exposition, or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([^{\s]+)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) got[pair[1]] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
