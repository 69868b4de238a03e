import { randomBytes } from 'node:crypto';
import express from 'express';
import { SignJWT } from 'jose';
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

/** Password login and our own JWTs, over HTTP against a real MongoDB-wire server. */
const ADMIN_PASSWORD = 'admin-password-0123';
const JWT_SECRET = randomBytes(32).toString('base64url');
const LOGIN = '/api/v1/authentication/login';

describe('auth: login and tokens', () => {
  let client: MongoClient;
  let db: Db;
  let auth: FullAuthModule;
  let app: express.Express;
  let adminToken: string;
  const clock = { now: new Date() };

  beforeAll(async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set (test/setup/global-setup.ts exports it)');
    client = await new MongoClient(uri).connect();
    db = client.db(`auth_sessions_${randomBytes(5).toString('hex')}`);
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: uri, SERVICE_TOKEN: randomBytes(16).toString('hex'), JWT_SECRET, JWT_TTL_SECONDS: '600',
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, RATE_LIMIT_LOGIN_PER_MIN: '1000',
    });
    const log = createLogger('auth-test', 'silent');
    auth = await createAuthModule({ config, db, log, now: () => clock.now });
    app = express();
    app.use(requestContext, express.json(), auth.authenticate);
    app.use('/api/v1', auth.routes(new RouteCatalogue()));
    app.get('/probe', authorize('models:read'), (req, res) => void res.json(req.principal));
    app.use(errorHandler(log));
    await auth.bootstrap();
    adminToken = (await request(app).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200)).body.token;
  });
  afterAll(async () => {
    auth?.close();
    await db?.dropDatabase();
    await client?.close();
  });

  const createUser = async (username: string, role = 'DataScientist', password = 'user-password-0123') =>
    (await request(app).post('/api/v1/users').auth(adminToken, { type: 'bearer' }).send({ username, password, role }).expect(201)).body as { id: string };
  const expect401 = async (authorization: string, message: RegExp | string) => {
    const res = await request(app).get('/probe').set('Authorization', authorization).expect(401);
    expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: typeof message === 'string' ? message : expect.stringMatching(message) });
  };

  describe('POST /authentication/login', () => {
    it('returns a token, its expiry and the user', async () => {
      await createUser('dora@example.com');
      const res = await request(app).post(LOGIN).send({ username: 'Dora@Example.com', password: 'user-password-0123' }).expect(200);
      expect(res.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String), user: { username: 'dora@example.com', role: 'DataScientist' } });
      const expiresIn = Date.parse(res.body.expiresAt) - clock.now.getTime();
      expect(expiresIn).toBeGreaterThan(590_000);
      expect(expiresIn).toBeLessThanOrEqual(600_000);
      const me = await request(app).get('/api/v1/authentication/me').auth(res.body.token, { type: 'bearer' }).expect(200);
      expect(me.body).toEqual({ id: expect.any(String), username: 'dora@example.com', role: 'DataScientist', via: 'password' });
      const stored = await auth.users.findByUsername('dora@example.com');
      expect(stored?.lastLoginAt).toBeInstanceOf(Date);
      expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    });

    it('gives the same 401 for a wrong password and an unknown user', async () => {
      const wrong = await request(app).post(LOGIN).send({ username: 'admin', password: 'not-the-password' }).expect(401);
      const unknown = await request(app).post(LOGIN).send({ username: 'nobody', password: 'not-the-password' }).expect(401);
      expect(wrong.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid username or password' });
      expect(unknown.body.error.message).toBe(wrong.body.error.message);
      expect(wrong.body.token).toBeUndefined();
    });

    it('refuses a disabled user', async () => {
      const { id } = await createUser('disabled-user');
      await request(app).patch(`/api/v1/users/${id}`).auth(adminToken, { type: 'bearer' }).send({ disabled: true }).expect(200);
      const res = await request(app).post(LOGIN).send({ username: 'disabled-user', password: 'user-password-0123' }).expect(401);
      expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'User is disabled' });
    });

    it('rejects unknown fields and missing fields with field-level details', async () => {
      const res = await request(app).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD, role: 'Admin' }).expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'role', message: 'is not a known field' }] });
      const missing = await request(app).post(LOGIN).send({ username: 'admin' }).expect(400);
      expect(missing.body.error.details).toEqual([{ field: 'password', message: expect.any(String) }]);
    });

    it('rejects malformed JSON', async () => {
      const res = await request(app).post(LOGIN).set('Content-Type', 'application/json').send('{"username": "admin",').expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Malformed JSON body' });
    });
  });

  describe('Bearer tokens', () => {
    const sign = (claims: Record<string, unknown>, opts: { secret?: string; issuer?: string; exp?: number } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(opts.issuer ?? 'hotswap')
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'x')
        .setJti(randomBytes(8).toString('hex'))
        .setIssuedAt(Math.floor(clock.now.getTime() / 1000) - 10)
        .setExpirationTime(opts.exp ?? Math.floor(clock.now.getTime() / 1000) + 60)
        .sign(new TextEncoder().encode(opts.secret ?? JWT_SECRET));

    it('lets requests without credentials through unauthenticated (authorize gives 401)', async () => {
      const res = await request(app).get('/probe').expect(401);
      expect(res.body.error.message).toMatch(/Authentication required/);
      await request(app).get('/api/v1/authentication/me').expect(401);
    });

    it('accepts a valid token', async () => {
      const res = await request(app).get('/probe').auth(adminToken, { type: 'bearer' }).expect(200);
      expect(res.body).toMatchObject({ username: 'admin', role: 'Admin', via: 'password' });
    });

    it('rejects an expired token', async () => {
      const admin = await auth.users.findByUsername('admin');
      const token = await sign({ sub: admin!._id, username: 'admin', role: 'Admin' }, { exp: Math.floor(clock.now.getTime() / 1000) - 60 });
      await expect401(`Bearer ${token}`, 'Token has expired: log in again');
    });

    it('rejects a token that outlived its TTL on the clock', async () => {
      const { token } = (await request(app).post(LOGIN).send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200)).body;
      const saved = clock.now;
      clock.now = new Date(saved.getTime() + 601_000 + 5_000);
      try {
        await expect401(`Bearer ${token}`, 'Token has expired: log in again');
      } finally {
        clock.now = saved;
      }
    });

    it('rejects a forged token (signed with another secret)', async () => {
      const admin = await auth.users.findByUsername('admin');
      const token = await sign({ sub: admin!._id, username: 'admin', role: 'Admin' }, { secret: 'forged-forged-forged-forged-forged-forged' });
      await expect401(`Bearer ${token}`, 'Token signature is invalid');
    });

    it('rejects a token from another issuer', async () => {
      const admin = await auth.users.findByUsername('admin');
      await expect401(`Bearer ${await sign({ sub: admin!._id, username: 'admin', role: 'Admin' }, { issuer: 'someone-else' })}`, 'Token issuer is not trusted');
    });

    it('rejects alg:none', async () => {
      const admin = await auth.users.findByUsername('admin');
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const payload = { iss: 'hotswap', sub: admin!._id, username: 'admin', role: 'Admin', jti: 'j', exp: Math.floor(clock.now.getTime() / 1000) + 60 };
      await expect401(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`, 'Token signing algorithm is not allowed');
    });

    it.each(['garbage', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0'])('rejects the malformed token %j', async (token) => {
      await expect401(`Bearer ${token}`, /^Token is malformed/);
    });

    it('rejects unsupported schemes', async () => {
      await expect401('Basic YWRtaW46cGFzcw==', /Unsupported authorization scheme/);
    });

    it('stops accepting tokens of deleted users and applies role changes at once', async () => {
      const { id } = await createUser('erin', 'MLEngineer');
      const { token } = (await request(app).post(LOGIN).send({ username: 'erin', password: 'user-password-0123' }).expect(200)).body;
      expect((await request(app).get('/probe').auth(token, { type: 'bearer' }).expect(200)).body.role).toBe('MLEngineer');
      await request(app).patch(`/api/v1/users/${id}`).auth(adminToken, { type: 'bearer' }).send({ role: 'Application' }).expect(200);
      expect((await request(app).get('/probe').auth(token, { type: 'bearer' }).expect(200)).body.role).toBe('Application');
      await request(app).patch(`/api/v1/users/${id}`).auth(adminToken, { type: 'bearer' }).send({ disabled: true }).expect(200);
      await expect401(`Bearer ${token}`, 'User is disabled');
      await request(app).delete(`/api/v1/users/${id}`).auth(adminToken, { type: 'bearer' }).expect(204);
      await expect401(`Bearer ${token}`, 'Token user no longer exists');
    });

    it('exposes the same check without Express (authenticateHeaders)', async () => {
      await expect(auth.authenticateHeaders({})).resolves.toBeUndefined();
      await expect(auth.authenticateHeaders({ authorization: `Bearer ${adminToken}` })).resolves.toMatchObject({ username: 'admin', via: 'password' });
      await expect(auth.authenticateHeaders({ authorization: 'Bearer nope' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    });
  });
});
