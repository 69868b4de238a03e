import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema, type ApiConfig } from '../../infra/config/schemas';
import { createLogger } from '../../infra/telemetry/logger';
import { startApi, type RunningApi } from '../../api/server';
import type { Role } from '../../domain/permissions';
import { apiCaller, login, tokenCache, type Call, type CallResult } from './http-client';

export type { CallResult };

export interface TestApi {
  api: RunningApi;
  config: ApiConfig;
  url: string;
  artifactDir: string;
  adminPassword: string;
  /** A token of a user with `role` (created on first use). */
  tokenFor(role: Role): Promise<string>;
  call: Call;
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
  const call = apiCaller(api.url);
  const tokenFor = tokenCache(call, () => login(call, 'admin', adminPassword));

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
