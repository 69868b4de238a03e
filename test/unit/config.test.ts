import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv, ConfigError } from '../../infra/config/load';
import { apiConfigSchema, modelServerConfigSchema, workerConfigSchema } from '../../infra/config/schemas';

const base = { MONGODB_URI: 'mongodb://127.0.0.1:27017/', SERVICE_TOKEN: 's'.repeat(20), JWT_SECRET: 'j'.repeat(40) };

it('applies defaults and freezes the result', () => {
  const c = parseEnv(apiConfigSchema, base);
  expect(c.API_PORT).toBe(8080);
  expect(c.ARTIFACT_STORE).toBe('fs');
  expect(c.RATE_LIMIT_REGISTER_PER_MIN).toBe(20);
  expect(c.S3_FORCE_PATH_STYLE).toBe(true);
  expect(Object.isFrozen(c)).toBe(true);
});

it('treats empty strings as unset', () => {
  expect(parseEnv(apiConfigSchema, { ...base, API_PORT: '' }).API_PORT).toBe(8080);
});

it.each([
  [{ ...base, MONGODB_URI: undefined }, 'MONGODB_URI', 'is required'],
  [{ ...base, MONGODB_URI: 'postgres://x' }, 'MONGODB_URI', 'mongodb://'],
  [{ ...base, API_PORT: 'eighty' }, 'API_PORT', 'invalid value "eighty"'],
  [{ ...base, API_PORT: '70000' }, 'API_PORT', 'invalid value'],
  [{ ...base, JWT_SECRET: 'short' }, 'JWT_SECRET', 'at least 32'],
  [{ ...base, ARTIFACT_STORE: 'gcs' }, 'ARTIFACT_STORE', 'invalid value'],
  [{ ...base, ARTIFACT_STORE: 's3' }, 'S3_ENDPOINT', 'ARTIFACT_STORE=s3'],
  [{ ...base, TLS_CERT_FILE: '/x.pem' }, 'TLS_KEY_FILE', 'set together'],
  [{ ...base, OIDC_ISSUER: 'https://id.example.com' }, 'OIDC_JWKS_URL', 'OIDC_ISSUER'],
  [{ ...base, S3_FORCE_PATH_STYLE: 'yes' }, 'S3_FORCE_PATH_STYLE', 'invalid value'],
  [{ ...base, TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS', 'host:port'],
  [{ ...base, MODEL_SERVER_LAST_RESORT_MS: '5000' }, 'MODEL_SERVER_LAST_RESORT_MS', 'at least MODEL_SERVER_HEARTBEAT_TIMEOUT_MS'],
])('names the variable and what is expected (%#)', (env, variable, fragment) => {
  try {
    parseEnv(apiConfigSchema, env as NodeJS.ProcessEnv);
    throw new Error('expected a ConfigError');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).variable).toBe(variable);
    expect((e as ConfigError).message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect((e as ConfigError).message).toContain(fragment);
  }
});

it('accepts panic mode off (0) or any bound at least the heartbeat timeout', () => {
  expect(parseEnv(apiConfigSchema, { ...base, MODEL_SERVER_LAST_RESORT_MS: '0' }).MODEL_SERVER_LAST_RESORT_MS).toBe(0);
  expect(parseEnv(apiConfigSchema, { ...base, MODEL_SERVER_LAST_RESORT_MS: '10000' }).MODEL_SERVER_LAST_RESORT_MS).toBe(10000);
  expect(parseEnv(apiConfigSchema, base as NodeJS.ProcessEnv).MODEL_SERVER_LAST_RESORT_MS).toBe(60000);
});

it('documents every variable in the README', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const names = new Set([apiConfigSchema, workerConfigSchema, modelServerConfigSchema].flatMap((s) => Object.keys((s as any).shape ?? (s as any)._zod.def.in?.shape ?? {})));
  expect(names.size).toBeGreaterThan(30);
  const undocumented = [...names].filter((n) => !readme.includes(`\`${n}\``));
  expect(undocumented).toEqual([]);
});
