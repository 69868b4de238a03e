import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../../domain/errors';
import { ROLES, type Principal, type Role } from '../../domain/permissions';
import { tokenError } from './token-errors';

export interface OidcOptions {
  issuer: string;
  jwksUrl: string;
  audience?: string;
  roleClaim: string;
  now: () => Date;
}

/** Leeway for clock drift between us and the identity provider. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Accepts access tokens of an external OpenID Connect provider. The key set is fetched from
 * the provider and cached by jose (refetched when an unknown `kid` shows up), so key rotation
 * at the provider needs no restart. Only asymmetric algorithms: the provider never shares a
 * secret with us, and pinning them rules out HS256-with-public-key confusion.
 */
export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  constructor(private readonly opts: OidcOptions) {
    this.jwks = createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: 5000 });
  }

  get issuer(): string {
    return this.opts.issuer;
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['RS256', 'ES256'],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        currentDate: this.opts.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (e) {
      throw tokenError(e);
    }
    const role = payload[this.opts.roleClaim];
    // A valid identity without one of our roles is authenticated but not allowed anything.
    if (typeof role !== 'string' || !ROLES.includes(role as Role))
      throw new AppError('FORBIDDEN', `Token carries no HotSwap role: claim "${this.opts.roleClaim}" must be one of ${ROLES.join(', ')}`);
    const sub = payload.sub!;
    const username = pickString(payload.preferred_username) ?? pickString(payload.email) ?? sub;
    return { id: `oidc:${sub}`, username, role: role as Role, via: 'oidc' };
  }
}

const pickString = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
