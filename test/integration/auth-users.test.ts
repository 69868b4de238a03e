import { randomBytes } from 'node:crypto';
import express from 'express';
import { MongoClient, type Db } from 'mongodb';
import request from 'supertest';
import { createAuthModule, type FullAuthModule } from '../../api/auth/auth-module';
import { buildOpenApiDocument } from '../../api/openapi/openapi-document';
import { errorHandler } from '../../api/http/error-handler';
import { requestContext } from '../../api/http/request-context';
import { RouteCatalogue } from '../../api/http/route-catalogue';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema } from '../../infra/config/schemas';
import { createLogger } from '../../infra/telemetry/logger';

/** User administration, including the rule that an enabled Admin always remains. */
const ADMIN_PASSWORD = 'admin-password-0123';
const PASSWORD = 'user-password-0123';

describe('auth: users admin', () => {
  let client: MongoClient;
  let db: Db;
  let auth: FullAuthModule;
  let app: express.Express;
  let catalogue: RouteCatalogue;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set (test/setup/global-setup.ts exports it)');
    client = await new MongoClient(uri).connect();
    db = client.db(`auth_users_${randomBytes(5).toString('hex')}`);
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: uri, SERVICE_TOKEN: randomBytes(16).toString('hex'), JWT_SECRET: randomBytes(32).toString('base64url'),
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, RATE_LIMIT_LOGIN_PER_MIN: '1000',
    });
    const log = createLogger('auth-test', 'silent');
    auth = await createAuthModule({ config, db, log });
    catalogue = new RouteCatalogue();
    app = express();
    app.use(requestContext, express.json(), auth.authenticate);
    app.use('/api/v1', auth.routes(catalogue));
    app.use(errorHandler(log));
    await auth.bootstrap();
    admin = await login('admin', ADMIN_PASSWORD);
    adminId = (await auth.users.findByUsername('admin'))!._id;
  });
  afterAll(async () => {
    auth?.close();
    await db?.dropDatabase();
    await client?.close();
  });

  async function login(username: string, password: string): Promise<string> {
    return (await request(app).post('/api/v1/authentication/login').send({ username, password }).expect(200)).body.token;
  }
  const as = (token: string) => ({
    post: (path: string, body: object) => request(app).post(path).auth(token, { type: 'bearer' }).send(body),
    patch: (path: string, body: object) => request(app).patch(path).auth(token, { type: 'bearer' }).send(body),
    get: (path: string) => request(app).get(path).auth(token, { type: 'bearer' }),
    delete: (path: string) => request(app).delete(path).auth(token, { type: 'bearer' }),
  });

  it('creates, lists, changes and deletes users without ever returning password hashes', async () => {
    const created = await as(admin).post('/api/v1/users', { username: 'Grace@Example.com', password: PASSWORD, role: 'DataScientist' }).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'grace@example.com', role: 'DataScientist', disabled: false,
      createdAt: expect.any(String), updatedAt: expect.any(String), lastLoginAt: null,
    });
    const id = created.body.id as string;
    expect((await auth.users.findById(id))?.schemaVersion).toBe(1);

    const list = await as(admin).get('/api/v1/users').expect(200);
    expect(list.body.users.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining(['admin', 'grace@example.com']));
    expect(JSON.stringify(list.body)).not.toContain('argon2');

    const changed = await as(admin).patch(`/api/v1/users/${id}`, { role: 'MLEngineer', password: 'a-new-password-456' }).expect(200);
    expect(changed.body).toMatchObject({ role: 'MLEngineer', disabled: false });
    await request(app).post('/api/v1/authentication/login').send({ username: 'grace@example.com', password: PASSWORD }).expect(401);
    const grace = await login('grace@example.com', 'a-new-password-456');
    await as(grace).get('/api/v1/users').expect(403);

    await as(admin).delete(`/api/v1/users/${id}`).expect(204);
    expect(await auth.users.findById(id)).toBeNull();
    expect((await as(admin).delete(`/api/v1/users/${id}`).expect(404)).body.error.code).toBe('NOT_FOUND');
  });

  it('refuses duplicate usernames (case-insensitively) with 409', async () => {
    await as(admin).post('/api/v1/users', { username: 'heidi', password: PASSWORD, role: 'Application' }).expect(201);
    const dup = await as(admin).post('/api/v1/users', { username: 'HEIDI', password: PASSWORD, role: 'Admin' }).expect(409);
    expect(dup.body.error).toMatchObject({ code: 'CONFLICT', details: [{ field: 'username', message: 'is taken' }] });
  });

  it('validates bodies and ids', async () => {
    const bad = await as(admin).post('/api/v1/users', { username: 'ab', password: 'short', role: 'Boss', extra: 1 }).expect(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['extra', 'password', 'role', 'username']);
    expect((await as(admin).patch(`/api/v1/users/${adminId}`, {}).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
    expect((await as(admin).patch('/api/v1/users/not-a-uuid', { disabled: true }).expect(400)).body.error.details[0].field).toBe('id');
    await as(admin).patch('/api/v1/users/5f1d0c44-3f6a-4b43-9a43-2f7f4c0c7d11', { disabled: true }).expect(404);
  });

  it('requires users:manage', async () => {
    await as(admin).post('/api/v1/users', { username: 'ivan', password: PASSWORD, role: 'MLEngineer' }).expect(201);
    const ivan = await login('ivan', PASSWORD);
    await as(ivan).post('/api/v1/users', { username: 'judy', password: PASSWORD, role: 'Admin' }).expect(403);
    await request(app).get('/api/v1/users').expect(401);
  });

  describe('last enabled Admin', () => {
    it('cannot be demoted, disabled or deleted', async () => {
      for (const body of [{ role: 'MLEngineer' }, { disabled: true }]) {
        const res = await as(admin).patch(`/api/v1/users/${adminId}`, body).expect(409);
        expect(res.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('At least one enabled Admin must remain') });
      }
      await as(admin).delete(`/api/v1/users/${adminId}`).expect(409);
      expect(await auth.users.findById(adminId)).toMatchObject({ role: 'Admin', disabled: false });
      await as(admin).get('/api/v1/users').expect(200);
    });

    it('can be replaced once another Admin exists, and a disabled Admin does not count', async () => {
      const second = (await as(admin).post('/api/v1/users', { username: 'kim', password: PASSWORD, role: 'Admin' }).expect(201)).body.id as string;
      await as(admin).patch(`/api/v1/users/${second}`, { disabled: true }).expect(200);
      await as(admin).patch(`/api/v1/users/${adminId}`, { disabled: true }).expect(409);
      await as(admin).patch(`/api/v1/users/${second}`, { disabled: false }).expect(200);
      await as(admin).patch(`/api/v1/users/${adminId}`, { role: 'MLEngineer' }).expect(200);
      const kim = await login('kim', PASSWORD);
      await as(kim).delete(`/api/v1/users/${second}`).expect(409);
      await as(kim).patch(`/api/v1/users/${adminId}`, { role: 'Admin' }).expect(200);
      await as(admin).delete(`/api/v1/users/${second}`).expect(204);
    });

    it('survives two concurrent demotions of the only two Admins', async () => {
      const other = (await as(admin).post('/api/v1/users', { username: 'leo', password: PASSWORD, role: 'Admin' }).expect(201)).body.id as string;
      const results = await Promise.all([
        as(admin).patch(`/api/v1/users/${adminId}`, { disabled: true }),
        as(admin).patch(`/api/v1/users/${other}`, { disabled: true }),
      ]);
      expect(results.map((r) => r.status).filter((s) => s === 200).length).toBeLessThanOrEqual(1);
      expect(await auth.users.countEnabledAdmins()).toBeGreaterThanOrEqual(1);
      // Restore the original admin for any later test.
      if (results[0].status === 200) await auth.users.update(adminId, { disabled: false }, new Date());
      admin = await login('admin', ADMIN_PASSWORD);
    });
  });

  it('documents every auth route in the OpenAPI document with its permission', () => {
    const doc = buildOpenApiDocument(catalogue) as { paths: Record<string, Record<string, { description?: string }>> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/api-keys', '/api/v1/api-keys/{id}', '/api/v1/authentication/login', '/api/v1/authentication/me', '/api/v1/users', '/api/v1/users/{id}',
    ]);
    expect(doc.paths['/api/v1/users/{id}'].patch.description).toContain('users:manage');
    expect(catalogue.routes).toEqual(expect.arrayContaining([
      { method: 'post', path: '/api/v1/users', permission: 'users:manage' },
      { method: 'delete', path: '/api/v1/api-keys/:id', permission: 'apikeys:manage' },
    ]));
  });
});
