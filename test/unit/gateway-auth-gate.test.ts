import type { IncomingMessage } from 'node:http';
import { AppError } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import { AuthGate, type HeaderAuth } from '../../api/gateway/auth-gate';

const principal = (role: Principal['role']): Principal => ({ id: `u-${role}`, username: role.toLowerCase(), role, via: 'password' });
const req = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: '10.0.0.1' } }) as unknown as IncomingMessage;

function fakeAuth(resolve: (h: Record<string, unknown>) => Principal | undefined) {
  const calls = { authenticate: 0, consume: [] as string[] };
  const auth: HeaderAuth = {
    authenticateHeaders: async (h) => {
      calls.authenticate++;
      return resolve(h);
    },
    consume: async (_name, key) => {
      calls.consume.push(key);
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

  it('spends the inference budget of the principal', async () => {
    const { auth, calls } = fakeAuth(() => principal('Application'));
    const gate = new AuthGate(auth, 1000);
    await gate.limit(principal('Application'), req({}));
    expect(calls.consume).toEqual(['principal:u-Application']);
  });
});
