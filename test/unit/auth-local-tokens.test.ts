import { CompactSign, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { LocalTokens } from '../../api/auth/local-tokens';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const key = new TextEncoder().encode(SECRET);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('LocalTokens', () => {
  let clock = new Date('2025-11-24T12:00:00Z');
  const tokens = new LocalTokens({ secret: SECRET, issuer: 'hotswap', ttlSeconds: 3600, now: () => clock });
  const user = { id: '6c1d0c44-3f6a-4b43-9a43-2f7f4c0c7d11', username: 'alice', role: 'DataScientist' as const };
  beforeEach(() => {
    clock = new Date('2025-11-24T12:00:00Z');
  });

  it('issues HS256 tokens with iss, sub, username, role, exp and a unique jti', async () => {
    const a = await tokens.issue(user);
    const b = await tokens.issue(user);
    expect(decodeProtectedHeader(a.token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(a.token);
    expect(claims).toMatchObject({ iss: 'hotswap', sub: user.id, username: 'alice', role: 'DataScientist', iat: clock.getTime() / 1000, exp: clock.getTime() / 1000 + 3600 });
    expect(claims.jti).not.toEqual(decodeJwt(b.token).jti);
    expect(a.expiresAt.toISOString()).toBe('2025-11-24T13:00:00.000Z');
    await expect(tokens.verify(a.token)).resolves.toMatchObject({ sub: user.id, username: 'alice', role: 'DataScientist' });
  });

  it('rejects a token once it has expired', async () => {
    const { token } = await tokens.issue(user);
    clock = new Date('2025-11-24T13:00:10Z');
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token has expired: log in again' });
  });

  it('rejects a token signed with another secret', async () => {
    const forged = await new SignJWT({ username: 'alice', role: 'Admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('hotswap').setSubject(user.id).setJti('x').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-another-secret-another'));
    await expect(tokens.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token signature is invalid' });
  });

  it('rejects a token from another issuer even with our secret', async () => {
    const t = await new SignJWT({ username: 'alice', role: 'Admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('evil').setSubject(user.id).setJti('x').setIssuedAt(clock).setExpirationTime('1h').sign(key);
    await expect(tokens.verify(t)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token issuer is not trusted' });
  });

  it('rejects alg:none and HS512', async () => {
    const payload = { iss: 'hotswap', sub: user.id, username: 'alice', role: 'Admin', jti: 'x', exp: clock.getTime() / 1000 + 60 };
    await expect(tokens.verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token signing algorithm is not allowed' });
    const hs512 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS512' }).sign(key);
    await expect(tokens.verify(hs512)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token signing algorithm is not allowed' });
  });

  it('rejects tokens missing our claims or with an unknown role', async () => {
    const base = () => new SignJWT({ username: 'alice', role: 'Superuser' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('hotswap').setSubject(user.id).setJti('x').setIssuedAt(clock).setExpirationTime('1h');
    await expect(tokens.verify(await base().sign(key))).rejects.toMatchObject({ message: 'Token claims are incomplete' });
    const noJti = await new SignJWT({ username: 'a', role: 'Admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('hotswap').setSubject(user.id).setIssuedAt(clock).setExpirationTime('1h').sign(key);
    await expect(tokens.verify(noJti)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token claim "jti" is invalid' });
  });

  it.each(['not-a-jwt', 'a.b.c', `${b64({ alg: 'HS256' })}.!!!.sig`])('rejects malformed token %j', async (t) => {
    await expect(tokens.verify(t)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/^Token (is malformed|signature is invalid)$/) });
  });

  it('rejects a correctly signed token whose payload is not a claims object', async () => {
    const t = await new CompactSign(new TextEncoder().encode('not json')).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await expect(tokens.verify(t)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'Token is malformed' });
  });
});
