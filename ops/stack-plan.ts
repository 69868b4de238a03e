import path from 'node:path';
import { parseEnv } from '../infra/config/load';
import { apiConfigSchema, modelServerConfigSchema, workerConfigSchema } from '../infra/config/schemas';
import type { PortClaim } from './free-port';
import type { StackSecrets } from './secrets';

/** A project process of the stack (api, worker, model servers). */
export interface ProjectProcess {
  name: string;
  /** Absolute path of the compiled entry point. */
  script: string;
  env: NodeJS.ProcessEnv;
  /** Answers HTTP (any status) when the process is up. */
  readyUrl: string;
  /** Where it listens (checked free before each start, see ProcessSpec.listens). */
  listen: { host: string; port: number };
  /** Started together with the others of its stage; stages start in order, stop in reverse. */
  stage: 1 | 2;
  metricsUrl: string;
}

export interface StackPlan {
  dataDir: string;
  runDir: string;
  distDir: string;
  /** Present when the stack starts FerretDB itself (MONGODB_URI unset). */
  ferretdb: { port: number; dataDir: string } | undefined;
  /** Present when the stack starts the Temporal dev server itself (TEMPORAL_ADDRESS unset). */
  temporal: { port: number; uiPort: number; dataDir: string } | undefined;
  mongoUri: string;
  temporalAddress: string;
  temporalUiUrl: string;
  artifacts: string;
  processes: ProjectProcess[];
  /** Every port the stack will listen on, to check before starting anything. */
  ports: PortClaim[];
  apiUrl: string;
  admin: { username: string; password: string; fromEnv: boolean };
  metricsTokenRequired: boolean;
}

export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackConfigError';
  }
}

function intVar(env: NodeJS.ProcessEnv, name: string, def: number, min = 0, max = 65535): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new StackConfigError(`Invalid configuration: ${name} has invalid value ${JSON.stringify(raw)}: expected an integer ${min}..${max}`);
  return n;
}

function set(env: NodeJS.ProcessEnv, name: string): boolean {
  return env[name] !== undefined && env[name] !== '';
}

/** 0.0.0.0 and :: listen everywhere; clients still reach them on loopback. */
function clientHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function validate(name: string, schema: Parameters<typeof parseEnv>[0], env: NodeJS.ProcessEnv): void {
  try {
    parseEnv(schema, env);
  } catch (e) {
    throw new StackConfigError(`${name}: ${(e as Error).message}`);
  }
}

/**
 * Decides what the local stack runs and with which environment, from the user's environment
 * (which always wins), the stored secrets and the defaults. Validates each process's
 * environment against its config schema, so a bad variable fails here with one line
 * instead of in a crash-looping child.
 */
export function planStack(env: NodeJS.ProcessEnv, secrets: StackSecrets, paths: { root: string }): StackPlan {
  const dataDir = path.resolve(env.HOTSWAP_DATA_DIR || path.join(paths.root, 'data'));
  const runDir = path.join(dataDir, 'run');
  const distDir = path.resolve(env.HOTSWAP_DIST_DIR || path.join(paths.root, 'dist'));
  const ports: PortClaim[] = [];

  let ferretdb: StackPlan['ferretdb'];
  let mongoUri: string;
  if (set(env, 'MONGODB_URI')) mongoUri = env.MONGODB_URI!;
  else {
    const port = intVar(env, 'HOTSWAP_FERRETDB_PORT', 27017, 1);
    ferretdb = { port, dataDir: path.join(dataDir, 'ferretdb') };
    mongoUri = `mongodb://127.0.0.1:${port}/`;
    ports.push({ port, variable: 'HOTSWAP_FERRETDB_PORT' });
  }

  let temporal: StackPlan['temporal'];
  let temporalAddress: string;
  let temporalUiUrl: string;
  if (set(env, 'TEMPORAL_ADDRESS')) {
    temporalAddress = env.TEMPORAL_ADDRESS!;
    temporalUiUrl = env.TEMPORAL_UI_URL || 'http://localhost:8233';
  } else {
    const port = intVar(env, 'HOTSWAP_TEMPORAL_PORT', 7233, 1);
    const uiPort = intVar(env, 'HOTSWAP_TEMPORAL_UI_PORT', port + 1000, 1);
    temporal = { port, uiPort, dataDir: path.join(dataDir, 'temporal') };
    temporalAddress = `127.0.0.1:${port}`;
    temporalUiUrl = env.TEMPORAL_UI_URL || `http://127.0.0.1:${uiPort}`;
    ports.push({ port, variable: 'HOTSWAP_TEMPORAL_PORT' }, { port: uiPort, variable: 'HOTSWAP_TEMPORAL_UI_PORT' });
  }

  const useS3 = set(env, 'S3_ENDPOINT');
  const artifactDir = path.resolve(env.ARTIFACT_DIR || path.join(dataDir, 'artifacts'));
  const shared: NodeJS.ProcessEnv = {
    ...env,
    MONGODB_URI: mongoUri,
    SERVICE_TOKEN: env.SERVICE_TOKEN || secrets.SERVICE_TOKEN,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUiUrl,
    ARTIFACT_STORE: useS3 ? 's3' : env.ARTIFACT_STORE || 'fs',
    ARTIFACT_DIR: artifactDir,
  };
  const metricsTokenRequired = set(env, 'METRICS_TOKEN');

  const processes: ProjectProcess[] = [];
  const serverCount = intVar(env, 'HOTSWAP_MODEL_SERVERS', 2, 0, 64);
  const serverBase = intVar(env, 'MODEL_SERVER_PORT', 8081, 1);
  const serverHost = env.MODEL_SERVER_HOST || '127.0.0.1';
  for (let i = 1; i <= serverCount; i++) {
    const id = `server-${i}`;
    const port = serverBase + i - 1;
    const url = `http://${clientHost(serverHost)}:${port}`;
    const serverEnv: NodeJS.ProcessEnv = {
      ...shared,
      MODEL_SERVER_ID: id,
      MODEL_SERVER_HOST: serverHost,
      MODEL_SERVER_PORT: String(port),
      MODEL_SERVER_URL: url,
      MODEL_SERVER_CACHE_DIR: path.join(dataDir, 'model-cache', id),
    };
    validate(`model server ${id}`, modelServerConfigSchema, serverEnv);
    ports.push({ port, variable: 'MODEL_SERVER_PORT', label: i === 1 ? undefined : `${id}: MODEL_SERVER_PORT+${i - 1}`, host: serverHost });
    processes.push({ name: id, script: path.join(distDir, 'model-server', 'main.js'), env: serverEnv, readyUrl: `${url}/`, listen: { host: serverHost, port }, stage: 1, metricsUrl: `${url}/metrics` });
  }

  const workerMetricsPort = intVar(env, 'WORKER_METRICS_PORT', 9464);
  const workerEnv: NodeJS.ProcessEnv = { ...shared, WORKER_METRICS_PORT: String(workerMetricsPort) };
  validate('worker', workerConfigSchema, workerEnv);
  ports.push({ port: workerMetricsPort, variable: 'WORKER_METRICS_PORT', host: '0.0.0.0' });
  const workerMetrics = `http://127.0.0.1:${workerMetricsPort}/metrics`;
  processes.push({ name: 'worker', script: path.join(distDir, 'worker', 'main.js'), env: workerEnv, readyUrl: workerMetrics, listen: { host: '0.0.0.0', port: workerMetricsPort }, stage: 1, metricsUrl: workerMetrics });

  const apiPort = intVar(env, 'API_PORT', 8080);
  const apiHost = env.API_HOST || '127.0.0.1';
  const username = env.BOOTSTRAP_ADMIN_USERNAME || 'admin';
  const passwordFromEnv = set(env, 'BOOTSTRAP_ADMIN_PASSWORD');
  const password = passwordFromEnv ? env.BOOTSTRAP_ADMIN_PASSWORD! : secrets.BOOTSTRAP_ADMIN_PASSWORD;
  const apiEnv: NodeJS.ProcessEnv = {
    ...shared,
    API_PORT: String(apiPort),
    API_HOST: apiHost,
    JWT_SECRET: env.JWT_SECRET || secrets.JWT_SECRET,
    BOOTSTRAP_ADMIN_USERNAME: username,
    BOOTSTRAP_ADMIN_PASSWORD: password,
  };
  validate('api', apiConfigSchema, apiEnv);
  ports.push({ port: apiPort, variable: 'API_PORT', host: apiHost });
  const apiLocal = `http://${clientHost(apiHost)}:${apiPort}`;
  const apiUrl = (env.PUBLIC_URL || apiLocal).replace(/\/+$/, '');
  processes.push({ name: 'api', script: path.join(distDir, 'api', 'main.js'), env: apiEnv, readyUrl: `${apiLocal}/`, listen: { host: apiHost, port: apiPort }, stage: 2, metricsUrl: `${apiUrl}/metrics` });

  return {
    dataDir,
    runDir,
    distDir,
    ferretdb,
    temporal,
    mongoUri,
    temporalAddress,
    temporalUiUrl,
    artifacts: useS3 ? `s3 ${env.S3_ENDPOINT} bucket ${env.S3_BUCKET || 'hotswap-models'}` : artifactDir,
    processes,
    ports,
    apiUrl,
    admin: { username, password, fromEnv: passwordFromEnv },
    metricsTokenRequired,
  };
}

/** The URI without its password, for printing. */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
