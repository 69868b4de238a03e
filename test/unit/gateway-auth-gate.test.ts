import type { IncomingMessage } from 'node:http';
import { AppError } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import { AuthGate, type HeaderAuth } from '../../api/gateway/auth-gate';

const principal = (role: Principal['role']): Principal => ({ id: `u-${role}`, username: role.toLowerCase(), role, via: 'password' });
const req = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: '10.0.0.1' } }) as unknown as IncomingMessage;

function fakeAuth(resolve: (h: Record<string, unknown>) => Principal | undefined) {
  const calls = { authenticate: 0, spent: [] as string[] };
  const auth: HeaderAuth = {
    authenticateHeaders: async (h) => {
      calls.authenticate++;
      return resolve(h);
    },
    spendInference: (p) => {
      calls.spent.push(p.id);
    },
  };
  return { auth, calls };
}

describe('AuthGate', () => {
  it('verifies a credential once and reuses it within the TTL', async () => {
    let now = 0;
    const { auth, calls } = fakeAuth(() => principal('Application'));
    const gate = new AuthGate(auth, 2000, () => now);
    for (let i = 0; i < 5; i++) await gate.authenticate(req({ authorization: 'Bearer t1' }), 'inference:run');
    expect(calls.authenticate).toBe(1);
    await gate.authenticate(req({ authorization: 'Bearer t2' }), 'inference:run');
    await gate.authenticate(req({ 'x-api-key': 'hs_k' }), 'inference:run');
    expect(calls.authenticate).toBe(3);
    now = 2000;
    await gate.authenticate(req({ authorization: 'Bearer t1' }), 'inference:run');
    expect(calls.authenticate).toBe(4);
  });

  it('never caches a failure, and verifies every time with TTL 0', async () => {
    let valid = false;
    const { auth, calls } = fakeAuth(() => {
      if (!valid) throw new AppError('UNAUTHORIZED', 'bad');
      return principal('Admin');
    });
    const gate = new AuthGate(auth, 0);
    await expect(gate.authenticate(req({ authorization: 'Bearer x' }), 'inference:run')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    valid = true;
    await gate.authenticate(req({ authorization: 'Bearer x' }), 'inference:run');
    await gate.authenticate(req({ authorization: 'Bearer x' }), 'inference:run');
    expect(calls.authenticate).toBe(3);
  });

  it('401 without credentials, 403 without the permission', async () => {
    const none = new AuthGate(fakeAuth(() => undefined).auth, 1000);
    await expect(none.authenticate(req({}), 'inference:run')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const app = new AuthGate(fakeAuth(() => principal('Application')).auth, 1000);
    await expect(app.authenticate(req({ authorization: 'Bearer a' }), 'routes:write')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  describe('past the TTL, with a stale window', () => {
    const flush = () => new Promise((r) => setImmediate(r));

    it('keeps answering from the cache while it verifies again in the background, once at a time', async () => {
      let now = 0;
      let release!: () => void;
      const gated = new Promise<void>((r) => (release = r));
      let calls = 0;
      const auth: HeaderAuth = {
        authenticateHeaders: async () => {
          calls++;
          if (calls > 1) await gated; // the database is slow
          return principal('Application');
        },
        spendInference: () => undefined,
      };
      const gate = new AuthGate(auth, 2000, () => now, 60_000);
      await gate.authenticate(req({ authorization: 'Bearer t' }), 'inference:run');
      now = 2500;
      for (let i = 0; i < 3; i++) expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toMatchObject({ role: 'Application' });
      expect(calls).toBe(2);
      release();
      await flush();
      // Fresh again: no further verification until the new TTL runs out.
      now = 4000;
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeDefined();
      expect(calls).toBe(2);
      now = 4600;
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeDefined();
      expect(calls).toBe(3);
    });

    it('drops the credential as soon as the background verification refuses it', async () => {
      let now = 0;
      let revoked = false;
      const { auth } = fakeAuth(() => {
        if (revoked) throw new AppError('UNAUTHORIZED', 'API key revoked');
        return principal('Application');
      });
      const gate = new AuthGate(auth, 2000, () => now, 60_000);
      await gate.authenticate(req({ 'x-api-key': 'hs_k' }), 'inference:run');
      revoked = true;
      now = 2001;
      expect(gate.cached(req({ 'x-api-key': 'hs_k' }), 'inference:run')).toBeDefined();
      await flush();
      expect(gate.cached(req({ 'x-api-key': 'hs_k' }), 'inference:run')).toBeUndefined();
      await expect(gate.authenticate(req({ 'x-api-key': 'hs_k' }), 'inference:run')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    });

    it('keeps a known caller through a database outage for the stale window, retrying each second, then verifies in line', async () => {
      let now = 0;
      let down = false;
      const { auth, calls } = fakeAuth(() => {
        if (down) throw new Error('connection refused');
        return principal('Application');
      });
      const gate = new AuthGate(auth, 2000, () => now, 10_000);
      await gate.authenticate(req({ authorization: 'Bearer t' }), 'inference:run');
      down = true;
      now = 3000;
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeDefined();
      await flush();
      expect(calls.authenticate).toBe(2);
      now = 3500; // within the retry pause: no new attempt
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeDefined();
      await flush();
      expect(calls.authenticate).toBe(2);
      now = 4100;
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeDefined();
      await flush();
      expect(calls.authenticate).toBe(3);
      now = 12_000; // past TTL + stale window: no longer served from the cache
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeUndefined();
      await expect(gate.authenticate(req({ authorization: 'Bearer t' }), 'inference:run')).rejects.toThrow('connection refused');
    });

    it('without a stale window, verifies in line after the TTL (the old behaviour)', async () => {
      let now = 0;
      const { auth, calls } = fakeAuth(() => principal('Application'));
      const gate = new AuthGate(auth, 2000, () => now, 0);
      await gate.authenticate(req({ authorization: 'Bearer t' }), 'inference:run');
      now = 2000;
      expect(gate.cached(req({ authorization: 'Bearer t' }), 'inference:run')).toBeUndefined();
      expect(calls.authenticate).toBe(1);
    });

    it('a stale caller still needs the permission', async () => {
      let now = 0;
      const gate = new AuthGate(fakeAuth(() => principal('Application')).auth, 1000, () => now, 60_000);
      await gate.authenticate(req({ authorization: 'Bearer a' }), 'inference:run');
      now = 1500;
      expect(() => gate.cached(req({ authorization: 'Bearer a' }), 'routes:write')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    });
  });

  it('spends the inference budget of the principal', async () => {
    const { auth, calls } = fakeAuth(() => principal('Application'));
    const gate = new AuthGate(auth, 1000);
    gate.limit(principal('Application'));
    expect(calls.spent).toEqual(['u-Application']);
  });
});
