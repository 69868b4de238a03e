import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { createAuthModule, type FullAuthModule } from '../../api/auth/auth-module';
import { verifyPassword } from '../../api/auth/password-hasher';
import { parseEnv } from '../../infra/config/load';
import { apiConfigSchema } from '../../infra/config/schemas';
import { createLogger } from '../../infra/telemetry/logger';

/** First-start admin creation: idempotent, and one admin even when replicas start together. */
describe('auth: bootstrap admin', () => {
  let client: MongoClient;
  const dbs: Db[] = [];
  const modules: FullAuthModule[] = [];

  beforeAll(async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set (test/setup/global-setup.ts exports it)');
    client = await new MongoClient(uri).connect();
  });
  afterAll(async () => {
    for (const m of modules) m.close();
    for (const db of dbs) await db.dropDatabase();
    await client?.close();
  });

  /** A fresh database, and `replicas` auth modules over it (as several api processes would be). */
  async function replicas(count: number, env: Record<string, string> = {}, db = client.db(`auth_boot_${randomBytes(5).toString('hex')}`)): Promise<FullAuthModule[]> {
    if (!dbs.includes(db)) dbs.push(db);
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: process.env.HOTSWAP_TEST_MONGODB_URI, SERVICE_TOKEN: randomBytes(16).toString('hex'), JWT_SECRET: randomBytes(32).toString('base64url'), ...env,
    });
    const created = await Promise.all(Array.from({ length: count }, () => createAuthModule({ config, db, log: createLogger('auth-test', 'silent') })));
    modules.push(...created);
    return created;
  }

  it('creates the configured admin once, with the configured password', async () => {
    const [auth] = await replicas(1, { BOOTSTRAP_ADMIN_USERNAME: 'Root', BOOTSTRAP_ADMIN_PASSWORD: 'configured-password-1' });
    await expect(auth.bootstrap()).resolves.toEqual({ username: 'root' });
    await expect(auth.bootstrap()).resolves.toEqual({ username: 'root' });
    const users = await auth.users.list();
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ username: 'root', role: 'Admin', disabled: false, schemaVersion: 1 });
    expect(await verifyPassword(users[0].passwordHash, 'configured-password-1')).toBe(true);
  });

  it('generates a strong password when none is configured and returns it only once', async () => {
    const [auth] = await replicas(1);
    const first = await auth.bootstrap();
    expect(first.username).toBe('admin');
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const user = await auth.users.findByUsername('admin');
    expect(await verifyPassword(user!.passwordHash, first.generatedPassword!)).toBe(true);
    expect(await auth.bootstrap()).toEqual({ username: 'admin' });
  });

  it('creates exactly one admin when replicas bootstrap concurrently', async () => {
    const [a, b, c] = await replicas(3);
    const results = await Promise.all([a.bootstrap(), b.bootstrap(), c.bootstrap(), a.bootstrap()]);
    const admins = (await a.users.list()).filter((u) => u.role === 'Admin');
    expect(admins).toHaveLength(1);
    const withPassword = results.filter((r) => r.generatedPassword);
    // Exactly one caller created the admin; its password is the one stored.
    expect(withPassword).toHaveLength(1);
    expect(await verifyPassword(admins[0].passwordHash, withPassword[0].generatedPassword!)).toBe(true);
  });

  it('does nothing when an Admin already exists under another name', async () => {
    const [first] = await replicas(1, { BOOTSTRAP_ADMIN_PASSWORD: 'configured-password-1' });
    await first.bootstrap();
    const [second] = await replicas(1, { BOOTSTRAP_ADMIN_USERNAME: 'other-admin', BOOTSTRAP_ADMIN_PASSWORD: 'configured-password-2' }, dbs.at(-1));
    await expect(second.bootstrap()).resolves.toEqual({ username: 'admin' });
    expect(await second.users.findByUsername('other-admin')).toBeNull();
  });

  it('creates nothing when the name is taken by a non-admin user', async () => {
    const [auth] = await replicas(1, { BOOTSTRAP_ADMIN_USERNAME: 'ops' });
    const now = new Date();
    await auth.users.insert({ _id: 'f0e1d2c3-0000-4000-8000-000000000001', schemaVersion: 1, username: 'ops', passwordHash: 'x', role: 'DataScientist', disabled: false, createdAt: now, updatedAt: now, lastLoginAt: null });
    await expect(auth.bootstrap()).resolves.toEqual({ username: 'ops' });
    expect(await auth.users.countEnabledAdmins()).toBe(0);
  });
});
