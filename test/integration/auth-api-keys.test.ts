import { randomBytes } from 'node:crypto';
import express from 'express';
import { MongoClient, type Db } from 'mongodb';
import request from 'supertest';
import { createAuthModule, type FullAuthModule } from '../../api/auth/auth-module';
import { authorize } from '../../api/http/authorize';
import { errorHandler } from '../../api/http/error-handler';
import { requestContext } from '../../api/http/request-context';
import { RouteCatalogue } from '../../api/http/route-catalogue';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema } from '../../infra/config/schemas';
import { createLogger } from '../../infra/telemetry/logger';
import { until } from '../helpers/until';

/** API keys: created by an Admin, shown once, stored hashed, revocable at once. */
const ADMIN_PASSWORD = 'admin-password-0123';

describe('auth: API keys', () => {
  let client: MongoClient;
  let db: Db;
  let auth: FullAuthModule;
  let app: express.Express;
  let admin: string;
  const clock = { now: new Date('2025-11-24T12:00:00Z') };

  beforeAll(async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set (test/setup/global-setup.ts exports it)');
    client = await new MongoClient(uri).connect();
    db = client.db(`auth_keys_${randomBytes(5).toString('hex')}`);
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: uri, SERVICE_TOKEN: randomBytes(16).toString('hex'), JWT_SECRET: randomBytes(32).toString('base64url'),
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, RATE_LIMIT_LOGIN_PER_MIN: '1000',
    });
    const log = createLogger('auth-test', 'silent');
    auth = await createAuthModule({ config, db, log, now: () => clock.now });
    app = express();
    app.use(requestContext, express.json(), auth.authenticate);
    app.use('/api/v1', auth.routes(new RouteCatalogue()));
    app.post('/infer', authorize('inference:run'), (req, res) => void res.json(req.principal));
    app.use(errorHandler(log));
    await auth.bootstrap();
    admin = (await request(app).post('/api/v1/authentication/login').send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200)).body.token;
  });
  afterAll(async () => {
    auth?.close();
    await db?.dropDatabase();
    await client?.close();
  });

  const createKey = async (body: object) => (await request(app).post('/api/v1/api-keys').auth(admin, { type: 'bearer' }).send(body).expect(201)).body;

  it('creates a key, authenticates with it both ways, lists it without the secret, and revokes it', async () => {
    const created = await createKey({ name: 'checkout-service' });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/), name: 'checkout-service', role: 'Application', createdAt: clock.now.toISOString(),
      createdBy: expect.any(String), expiresAt: null, revokedAt: null, lastUsedAt: null,
      inferenceRateLimitPerMin: 60000, inferenceRateLimitSource: 'default',
      key: expect.stringMatching(/^hs_[0-9a-f]{24}_[A-Za-z0-9_-]{43,}$/),
    });
    expect(created.key.startsWith(`hs_${created.id}_`)).toBe(true);

    const viaHeader = await request(app).post('/infer').set('X-API-Key', created.key).expect(200);
    expect(viaHeader.body).toEqual({ id: `apikey:${created.id}`, username: 'apikey:checkout-service', role: 'Application', via: 'api-key' });
    await request(app).post('/infer').set('Authorization', `ApiKey ${created.key}`).expect(200);
    const asBearer = await request(app).post('/infer').set('Authorization', `Bearer ${created.key}`).expect(401);
    expect(asBearer.body.error.message).toMatch(/API keys go in "X-API-Key/);
    await expect(auth.authenticateHeaders({ 'x-api-key': created.key })).resolves.toMatchObject({ via: 'api-key' });

    // Application keys cannot manage anything.
    await request(app).get('/api/v1/api-keys').set('X-API-Key', created.key).expect(403);

    const list = await request(app).get('/api/v1/api-keys').auth(admin, { type: 'bearer' }).expect(200);
    const listed = list.body.apiKeys.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'checkout-service', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.key.split('_').slice(2).join('_'));
    expect(listed.key).toBeUndefined();
    expect(listed.secretHash).toBeUndefined();

    const stored = await auth.apiKeys.findById(created.id);
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created.key);

    await request(app).delete(`/api/v1/api-keys/${created.id}`).auth(admin, { type: 'bearer' }).expect(204);
    const after = await request(app).post('/infer').set('X-API-Key', created.key).expect(401);
    expect(after.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'API key has been revoked' });
    await request(app).delete(`/api/v1/api-keys/${created.id}`).auth(admin, { type: 'bearer' }).expect(204);
    expect((await auth.apiKeys.findById(created.id))?.revokedAt).toEqual(clock.now);
  });

  it('gives one message for an unknown key, a wrong secret and a malformed key', async () => {
    const { key } = await createKey({ name: 'k2' });
    const wrongSecret = `${key.slice(0, -4)}AAAA`;
    const unknown = `hs_${'0'.repeat(24)}_${key.split('_').slice(2).join('_')}`;
    for (const k of [wrongSecret, unknown, 'hs_nope', 'sk-live-123']) {
      const res = await request(app).post('/infer').set('X-API-Key', k).expect(401);
      expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'API key is invalid' });
    }
  });

  it('honours a role and an expiry', async () => {
    const expiresAt = new Date(clock.now.getTime() + 60_000).toISOString();
    const created = await createKey({ name: 'ci', role: 'MLEngineer', expiresAt });
    expect(created).toMatchObject({ role: 'MLEngineer', expiresAt });
    expect((await request(app).post('/infer').set('X-API-Key', created.key).expect(200)).body.role).toBe('MLEngineer');
    const saved = clock.now;
    clock.now = new Date(saved.getTime() + 61_000);
    try {
      expect((await request(app).post('/infer').set('X-API-Key', created.key).expect(401)).body.error.message).toBe('API key has expired');
    } finally {
      clock.now = saved;
    }
  });

  it('records lastUsedAt at most once a minute', async () => {
    const { id, key } = await createKey({ name: 'metered' });
    await request(app).post('/infer').set('X-API-Key', key).expect(200);
    const first = clock.now;
    await until('lastUsedAt to be recorded', async () => (await auth.apiKeys.findById(id))?.lastUsedAt?.getTime() === first.getTime(), 3000);
    const saved = clock.now;
    clock.now = new Date(saved.getTime() + 30_000);
    await request(app).post('/infer').set('X-API-Key', key).expect(200);
    await new Promise((r) => setTimeout(r, 200));
    expect((await auth.apiKeys.findById(id))?.lastUsedAt).toEqual(first);
    clock.now = new Date(saved.getTime() + 61_000);
    await request(app).post('/infer').set('X-API-Key', key).expect(200);
    await until('lastUsedAt to move on', async () => (await auth.apiKeys.findById(id))?.lastUsedAt?.getTime() === clock.now.getTime(), 3000);
    clock.now = saved;
  });

  it('validates the request', async () => {
    const bad = await request(app).post('/api/v1/api-keys').auth(admin, { type: 'bearer' }).send({ name: '', role: 'Root', secret: 'x' }).expect(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['name', 'role', 'secret']);
    const past = await request(app).post('/api/v1/api-keys').auth(admin, { type: 'bearer' }).send({ name: 'old', expiresAt: '2020-01-01T00:00:00Z' }).expect(400);
    expect(past.body.error.details).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
    await request(app).delete('/api/v1/api-keys/not-an-id').auth(admin, { type: 'bearer' }).expect(400);
    expect((await request(app).delete(`/api/v1/api-keys/${'f'.repeat(24)}`).auth(admin, { type: 'bearer' }).expect(404)).body.error.code).toBe('NOT_FOUND');
  });

  it('is for Admins only', async () => {
    await request(app).post('/api/v1/users').auth(admin, { type: 'bearer' }).send({ username: 'sam', password: 'sam-password-0123', role: 'MLEngineer' }).expect(201);
    const sam = (await request(app).post('/api/v1/authentication/login').send({ username: 'sam', password: 'sam-password-0123' }).expect(200)).body.token;
    await request(app).post('/api/v1/api-keys').auth(sam, { type: 'bearer' }).send({ name: 'mine' }).expect(403);
    await request(app).get('/api/v1/api-keys').expect(401);
  });
});

