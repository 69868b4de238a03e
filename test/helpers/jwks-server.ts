import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export type OidcAlg = 'RS256' | 'ES256';

export interface JwksServer {
  /** Use as OIDC_ISSUER. */
  issuer: string;
  /** Use as OIDC_JWKS_URL. */
  jwksUrl: string;
  /** How many times the key set was fetched. */
  fetches(): number;
  /**
   * A token as the identity provider would issue it. `signWith: 'untrusted'` signs with a key
   * that is not in the published set but claims the published key's `kid`.
   */
  sign(claims: JWTPayload, opts?: { signWith?: 'trusted' | 'untrusted'; expiresIn?: string; issuer?: string }): Promise<string>;
  close(): Promise<void>;
}

const KID = 'test-key-1';

/** A stand-in OpenID Connect provider: a real HTTP server publishing a real JWKS over node:http. */
export async function startJwksServer(alg: OidcAlg = 'RS256'): Promise<JwksServer> {
  const trusted = await generateKeyPair(alg, { extractable: true });
  const untrusted = await generateKeyPair(alg, { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(trusted.publicKey)), kid: KID, alg, use: 'sig' }] });

  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/`;

  return {
    issuer,
    jwksUrl: `${base}/.well-known/jwks.json`,
    fetches: () => fetches,
    sign: (claims, opts = {}) => {
      const key: CryptoKey = opts.signWith === 'untrusted' ? untrusted.privateKey : trusted.privateKey;
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: KID, typ: 'JWT' })
        .setIssuer(opts.issuer ?? issuer)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(key);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
