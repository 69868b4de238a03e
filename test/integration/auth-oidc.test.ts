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
import { startJwksServer, type JwksServer, type OidcAlg } from '../helpers/jwks-server';

/** External OIDC tokens verified through a real JWKS endpoint (test/helpers/jwks-server.ts). */
describe.each<OidcAlg>(['RS256', 'ES256'])('auth: OIDC tokens (%s)', (alg) => {
  let client: MongoClient;
  let db: Db;
  let idp: JwksServer;
  let auth: FullAuthModule;
  let app: express.Express;

  beforeAll(async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set (test/setup/global-setup.ts exports it)');
    idp = await startJwksServer(alg);
    client = await new MongoClient(uri).connect();
    db = client.db(`auth_oidc_${randomBytes(5).toString('hex')}`);
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: uri, SERVICE_TOKEN: randomBytes(16).toString('hex'), JWT_SECRET: randomBytes(32).toString('base64url'),
      OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl, OIDC_AUDIENCE: 'hotswap-api', OIDC_ROLE_CLAIM: 'hotswap_role',
    });
    const log = createLogger('auth-test', 'silent');
    auth = await createAuthModule({ config, db, log });
    app = express();
    app.use(requestContext, express.json(), auth.authenticate);
    app.use('/api/v1', auth.routes(new RouteCatalogue()));
    app.get('/probe', authorize('deployments:create:prod'), (req, res) => void res.json(req.principal));
    app.use(errorHandler(log));
  });
  afterAll(async () => {
    auth?.close();
    await idp?.close();
    await db?.dropDatabase();
    await client?.close();
  });

  const probe = (token: string) => request(app).get('/probe').set('Authorization', `Bearer ${token}`);

  it('accepts a token of the identity provider and maps its role claim', async () => {
    const token = await idp.sign({ sub: 'u-1', aud: 'hotswap-api', preferred_username: 'mallory', hotswap_role: 'MLEngineer' });
    const res = await probe(token).expect(200);
    expect(res.body).toEqual({ id: 'oidc:u-1', username: 'mallory', role: 'MLEngineer', via: 'oidc' });
    expect(idp.fetches()).toBeGreaterThanOrEqual(1);
  });

  it('falls back to email, then sub, for the username', async () => {
    const withEmail = await idp.sign({ sub: 'u-2', aud: 'hotswap-api', email: 'eve@example.com', hotswap_role: 'Admin' });
    expect((await probe(withEmail).expect(200)).body.username).toBe('eve@example.com');
    const bare = await idp.sign({ sub: 'u-3', aud: 'hotswap-api', hotswap_role: 'Admin' });
    expect((await probe(bare).expect(200)).body.username).toBe('u-3');
  });

  it('still applies the permission matrix to OIDC principals', async () => {
    const token = await idp.sign({ sub: 'u-4', aud: 'hotswap-api', hotswap_role: 'DataScientist' });
    expect((await probe(token).expect(403)).body.error.code).toBe('FORBIDDEN');
    await request(app).get('/api/v1/authentication/me').set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('rejects a token signed with a key that is not in the published set', async () => {
    const token = await idp.sign({ sub: 'u-1', aud: 'hotswap-api', hotswap_role: 'Admin' }, { signWith: 'untrusted' });
    expect((await probe(token).expect(401)).body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Token signature is invalid' });
  });

  it('rejects a token for another audience', async () => {
    const token = await idp.sign({ sub: 'u-1', aud: 'another-api', hotswap_role: 'Admin' });
    expect((await probe(token).expect(401)).body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Token audience is not accepted' });
  });

  it('rejects an expired token', async () => {
    const token = await idp.sign({ sub: 'u-1', aud: 'hotswap-api', hotswap_role: 'Admin' }, { expiresIn: '-5m' });
    expect((await probe(token).expect(401)).body.error.message).toBe('Token has expired: log in again');
  });

  it.each([
    ['missing', {}],
    ['unknown', { hotswap_role: 'Superuser' }],
    ['not a string', { hotswap_role: ['Admin'] }],
  ])('answers 403 "no HotSwap role" when the role claim is %s', async (_what, extra) => {
    const token = await idp.sign({ sub: 'u-5', aud: 'hotswap-api', ...extra });
    const res = await probe(token).expect(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('no HotSwap role') });
  });

  it('does not let a token naming another issuer reach the OIDC verifier', async () => {
    // Signed by the trusted IdP key but claiming another issuer: treated as one of ours, where RS/ES algorithms are refused.
    const token = await idp.sign({ sub: 'u-1', aud: 'hotswap-api', hotswap_role: 'Admin' }, { issuer: 'https://elsewhere.example/' });
    expect((await probe(token).expect(401)).body.error.message).toBe('Token signing algorithm is not allowed');
  });
});

describe('auth: OIDC key set unavailable', () => {
  it('answers 503 when the JWKS endpoint cannot be reached', async () => {
    const uri = process.env.HOTSWAP_TEST_MONGODB_URI;
    if (!uri) throw new Error('HOTSWAP_TEST_MONGODB_URI must be set');
    const idp = await startJwksServer('RS256');
    const token = await idp.sign({ sub: 'u-1', hotswap_role: 'Admin' });
    await idp.close();
    const client = await new MongoClient(uri).connect();
    const db = client.db(`auth_oidc_down_${randomBytes(5).toString('hex')}`);
    const config = parseEnv(apiConfigSchema, {
      MONGODB_URI: uri, SERVICE_TOKEN: randomBytes(16).toString('hex'), JWT_SECRET: randomBytes(32).toString('base64url'),
      OIDC_ISSUER: idp.issuer, OIDC_JWKS_URL: idp.jwksUrl,
    });
    const auth = await createAuthModule({ config, db, log: createLogger('auth-test', 'silent') });
    try {
      await expect(auth.authenticateHeaders({ authorization: `Bearer ${token}` })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    } finally {
      auth.close();
      await db.dropDatabase();
      await client.close();
    }
  });
});
