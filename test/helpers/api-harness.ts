import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema, type ApiConfig } from '../../infra/config/schemas';
import { createLogger } from '../../infra/telemetry/logger';
import { startApi, type RunningApi } from '../../api/server';
import type { Role } from '../../domain/permissions';

type RawBody = NonNullable<RequestInit['body']>;

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestApi {
  api: RunningApi;
  config: ApiConfig;
  url: string;
  artifactDir: string;
  adminPassword: string;
  /** A token of a user with `role` (created on first use). */
  tokenFor(role: Role): Promise<string>;
  call<T = any>(method: string, path: string, opts?: { token?: string; body?: unknown; rawBody?: RawBody; headers?: Record<string, string> }): Promise<CallResult<T>>;
  close(): Promise<void>;
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through jest's global setup (npm test)`);
  return v;
}

/**
 * Starts the real api in this process (coverage counts) against the run's real services:
 * its own MongoDB database, a fresh artifact directory, the Temporal dev server.
 */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const artifactDir = mkdtempSync(join(tmpdir(), 'hotswap-artifacts-'));
  const adminPassword = randomBytes(18).toString('base64url');
  const dbName = `t_${randomBytes(6).toString('hex')}`;
  const config = parseEnv(apiConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MONGODB_URI: requireEnv('HOTSWAP_TEST_MONGODB_URI'),
    MONGODB_DB: dbName,
    TEMPORAL_ADDRESS: requireEnv('HOTSWAP_TEST_TEMPORAL_ADDRESS'),
    SERVICE_TOKEN: randomBytes(24).toString('base64url'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ARTIFACT_DIR: artifactDir,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    BOOTSTRAP_ADMIN_USERNAME: 'admin',
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    ...overrides,
  });
  const api = await startApi(config, createLogger('api', 'silent'));
  const tokens = new Map<Role, Promise<string>>();

  const call = async <T>(method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: RawBody; headers?: Record<string, string> } = {}): Promise<CallResult<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: RawBody | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(`${api.url}${path}`, { method, headers, ...(body !== undefined && { body, duplex: 'half' }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };

  const login = async (username: string, password: string) => {
    const res = await call<{ token: string }>('POST', '/api/v1/authentication/login', { body: { username, password } });
    if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  };

  const tokenFor = (role: Role): Promise<string> => {
    let t = tokens.get(role);
    if (!t) {
      t = (async () => {
        if (role === 'Admin') return login('admin', adminPassword);
        const admin = await tokenFor('Admin');
        const username = `${role.toLowerCase()}-${randomBytes(3).toString('hex')}`;
        const password = randomBytes(18).toString('base64url');
        const created = await call('POST', '/api/v1/users', { token: admin, body: { username, password, role } });
        if (created.status !== 201) throw new Error(`creating ${role} failed: ${created.status} ${JSON.stringify(created.body)}`);
        return login(username, password);
      })();
      tokens.set(role, t);
    }
    return t;
  };

  return {
    api,
    config,
    url: api.url,
    artifactDir,
    adminPassword,
    tokenFor,
    call,
    close: async () => {
      await api.mongo.db.dropDatabase().catch(() => undefined);
      await api.close();
      rmSync(artifactDir, { recursive: true, force: true });
    },
  };
}
