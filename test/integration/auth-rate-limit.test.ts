import { randomBytes } from 'node:crypto';
import express from 'express';
import { MongoClient, type Db } from 'mongodb';
import request from 'supertest';
import { createAuthModule, type FullAuthModule } from '../../api/auth/auth-module';
import { LocalTokens } from '../../api/auth/local-tokens';
import { RateLimits } from '../../api/auth/rate-limits';
import { authorize } from '../../api/http/authorize';
import { errorHandler } from '../../api/http/error-handler';
import { requestContext } from '../../api/http/request-context';
import { RouteCatalogue } from '../../api/http/route-catalogue';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema } from '../../infra/config/schemas';
import type { Principal } from '../../domain/permissions';
import { createLogger } from '../../infra/telemetry/logger';

/** Per-minute limits: 429 RATE_LIMIT_EXCEEDED with Retry-After, counters shared through MongoDB. */
const ADMIN_PASSWORD = 'admin-password-0123';
const LOGIN_LIMIT = 3;
const DEPLOY_LIMIT = 4;

describe('auth: rate limits', () => {
  let client: MongoClient;
  let db: Db;
  const modules: FullAuthModule[] = [];
  let appA: express.Express;
  let appB: express.Express;

  async function replica(): Promise<{ app: express.Express; auth: FullAuthModule }> {
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: process.env.HOTSWAP_TEST_MONGODB_URI, SERVICE_TOKEN: 'x'.repeat(16), JWT_SECRET: 'j'.repeat(40),
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, RATE_LIMIT_LOGIN_PER_MIN: String(LOGIN_LIMIT), RATE_LIMIT_DEPLOY_PER_MIN: String(DEPLOY_LIMIT),
      RATE_LIMIT_INFERENCE_PER_MIN: '2', RATE_LIMIT_API_KEY_INFERENCE_PER_MIN: '3',
    });
    const log = createLogger('auth-test', 'silent');
    const auth = await createAuthModule({ config, db, log });
    modules.push(auth);
    const app = express();
    app.use(requestContext, express.json(), auth.authenticate);
    app.use('/api/v1', auth.routes(new RouteCatalogue()));
    app.post('/deploy', authorize('deployments:read'), auth.limit('deploy'), (_req, res) => void res.json({ ok: true }));
    app.post('/public', auth.limit('register'), (_req, res) => void res.json({ ok: true }));
    app.use(errorHandler(log));
    return { app, auth };
  }

  beforeAll(async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set (test/setup/global-setup.ts exports it)');
    client = await new MongoClient(uri).connect();
    db = client.db(`auth_rl_${randomBytes(5).toString('hex')}`);
    appA = (await replica()).app;
    appB = (await replica()).app;
    await modules[0].bootstrap();
  });
  afterAll(async () => {
    for (const m of modules) m.close();
    await db?.dropDatabase();
    await client?.close();
  });

  const login = (app: express.Express, username: string, password = 'wrong-password') =>
    request(app).post('/api/v1/authentication/login').send({ username, password });

  it('answers the N+1th login within a minute with 429, Retry-After and the error body', async () => {
    for (let i = 0; i < LOGIN_LIMIT; i++) {
      const res = await login(appA, 'victim').expect(401);
      expect(res.headers['x-ratelimit-limit']).toBe(String(LOGIN_LIMIT));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(LOGIN_LIMIT - 1 - i));
    }
    const res = await login(appA, 'victim').expect(429);
    expect(res.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', message: expect.stringContaining('login'), details: [] });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    // Even the right password waits now.
    await login(appA, 'victim', ADMIN_PASSWORD).expect(429);
  });

  it('keys login by client address and username, and shares the count across replicas', async () => {
    await login(appA, 'admin', ADMIN_PASSWORD).expect(200);
    await login(appB, 'admin', ADMIN_PASSWORD).expect(200);
    await login(appA, 'admin', ADMIN_PASSWORD).expect(200);
    // The fourth attempt for this username goes to the other replica: the shared counter refuses it.
    await login(appB, 'admin', ADMIN_PASSWORD).expect(429);
    expect(await db.collection('rate_limits').countDocuments({ key: { $regex: '^hotswap:login:' } })).toBeGreaterThanOrEqual(2);
  });

  it('keys authenticated limits per principal', async () => {
    // Login for admin is exhausted by the previous test, so sign the admin's token directly.
    const token = await adminToken(modules[0]);
    const key = async (name: string) =>
      (await request(appA).post('/api/v1/api-keys').auth(token, { type: 'bearer' }).send({ name, role: 'MLEngineer' }).expect(201)).body.key as string;
    const [k1, k2] = [await key('one'), await key('two')];
    for (let i = 0; i < DEPLOY_LIMIT; i++) await request(appA).post('/deploy').set('X-API-Key', k1).expect(200);
    const over = await request(appA).post('/deploy').set('X-API-Key', k1).expect(429);
    expect(over.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(over.headers['retry-after']).toMatch(/^\d+$/);
    await request(appB).post('/deploy').set('X-API-Key', k1).expect(429);
    await request(appA).post('/deploy').set('X-API-Key', k2).expect(200);
  });

  it('keys anonymous requests by client address', async () => {
    for (let i = 0; i < 20; i++) await request(appA).post('/public').expect(200);
    await request(appA).post('/public').expect(429);
  });

  it('limits inference per caller and per replica, in memory: users, API keys by default, a key with its own limit', async () => {
    const [a, b] = modules;
    const spend = (auth: FullAuthModule, p: Principal, n: number) => {
      for (let i = 0; i < n; i++) auth.spendInference(p);
    };
    const over = { code: 'RATE_LIMIT_EXCEEDED', status: 429, headers: expect.objectContaining({ 'Retry-After': expect.stringMatching(/^\d+$/), 'X-RateLimit-Remaining': '0' }) };
    const user: Principal = { id: 'u-1', username: 'u', role: 'DataScientist', via: 'password' };
    const key: Principal = { id: 'apikey:k', username: 'apikey:k', role: 'Application', via: 'api-key' };
    const own: Principal = { ...key, id: 'apikey:own', inferenceRateLimitPerMin: 5 };
    spend(a, user, 2);
    expect(() => a.spendInference(user)).toThrow(expect.objectContaining({ ...over, headers: expect.objectContaining({ 'X-RateLimit-Limit': '2' }) }));
    spend(a, key, 3);
    expect(() => a.spendInference(key)).toThrow(expect.objectContaining({ headers: expect.objectContaining({ 'X-RateLimit-Limit': '3' }) }));
    spend(a, own, 5);
    expect(() => a.spendInference(own)).toThrow(expect.objectContaining(over));
    // Another replica counts on its own (documented: limits hold per replica), and nothing is stored.
    spend(b, user, 2);
    expect(await db.collection('rate_limits').countDocuments({ key: { $regex: 'inference' } })).toBe(0);
  });
});

describe('auth: rate limits without a reachable database', () => {
  it('falls back to per-process memory limits', async () => {
    const unreachable = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 200 });
    const config = parseEnv(apiConfigSchema, { MONGODB_URI: 'mongodb://127.0.0.1:1/', SERVICE_TOKEN: 'x'.repeat(16), JWT_SECRET: 'j'.repeat(40), RATE_LIMIT_LOGIN_PER_MIN: '1' });
    const limits = await RateLimits.create({ config, db: unreachable.db('none'), log: createLogger('auth-test', 'silent') });
    try {
      await expect(limits.consume('login', 'k')).resolves.toEqual({ limit: 1, remaining: 0 });
      await expect(limits.consume('login', 'k')).rejects.toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
    } finally {
      limits.close();
      await unreachable.close();
    }
  });
});

/** A token for the bootstrap admin without going through the (exhausted) login limit. */
async function adminToken(auth: FullAuthModule): Promise<string> {
  const admin = (await auth.users.findByUsername('admin'))!;
  const tokens = new LocalTokens({ secret: 'j'.repeat(40), issuer: 'hotswap', ttlSeconds: 600, now: () => new Date() });
  return (await tokens.issue({ id: admin._id, username: admin.username, role: admin.role })).token;
}
