import { decodeJwt } from 'jose';
import { AppError } from '../../domain/errors';
import type { Principal } from '../../domain/permissions';
import type { UserRecord, UserRepository } from '../../infra/mongo/user-repository';
import type { ApiKeyAuthenticator } from './api-key-authenticator';
import { extractCredential, type HeaderBag } from './credentials';
import type { LocalTokens } from './local-tokens';
import type { OidcVerifier } from './oidc-verifier';
import { TtlCache } from './ttl-cache';

/** A disabled or deleted user's tokens stop working within this bound on other replicas. */
const USER_CACHE_TTL_MS = 5_000;

/**
 * Framework-free authentication: headers in, Principal (or undefined when the request carries
 * no credential) out, AppError for a credential that is present but not acceptable. Used by the
 * Express middleware and by the lean inference path.
 */
export class PrincipalResolver {
  private readonly userCache: TtlCache<UserRecord | null>;

  constructor(
    private readonly deps: {
      users: UserRepository;
      tokens: LocalTokens;
      apiKeys: ApiKeyAuthenticator;
      oidc?: OidcVerifier;
      now: () => Date;
    },
  ) {
    this.userCache = new TtlCache(USER_CACHE_TTL_MS, deps.now);
  }

  async resolve(headers: HeaderBag): Promise<Principal | undefined> {
    const credential = extractCredential(headers);
    if (!credential) return undefined;
    if (credential.kind === 'api-key') return this.deps.apiKeys.authenticate(credential.key);
    return this.fromBearer(credential.token);
  }

  /** Drops a user from this process's cache (after an update or delete). */
  forgetUser(id: string): void {
    this.userCache.delete(id);
  }

  private async fromBearer(token: string): Promise<Principal> {
    // Read `iss` unverified only to choose the verifier; each verifier then checks everything.
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      if (token.startsWith('hs_')) throw new AppError('UNAUTHORIZED', 'API keys go in "X-API-Key: <key>" or "Authorization: ApiKey <key>", not Bearer');
      throw new AppError('UNAUTHORIZED', 'Token is malformed: expected a JWT');
    }
    const { oidc } = this.deps;
    if (oidc && issuer === oidc.issuer) return oidc.verify(token);

    const claims = await this.deps.tokens.verify(token);
    const user = await this.user(claims.sub);
    if (!user) throw new AppError('UNAUTHORIZED', 'Token user no longer exists');
    if (user.disabled) throw new AppError('UNAUTHORIZED', 'User is disabled');
    // The stored role wins over the token's, so a demotion takes effect before the token expires.
    return { id: user._id, username: user.username, role: user.role, via: 'password' };
  }

  private async user(id: string): Promise<UserRecord | null> {
    const cached = this.userCache.get(id);
    if (cached !== undefined) return cached;
    const user = await this.deps.users.findById(id);
    this.userCache.set(id, user);
    return user;
  }
}
