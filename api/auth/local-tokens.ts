import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../../domain/errors';
import { ROLES, type Role } from '../../domain/permissions';
import { tokenError } from './token-errors';

export interface LocalTokenOptions {
  secret: string;
  issuer: string;
  ttlSeconds: number;
  now: () => Date;
}

export interface LocalTokenClaims {
  sub: string;
  username: string;
  role: Role;
  jti: string;
}

/** Small leeway for clock drift between api replicas. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** HS256 tokens we issue at login and accept back. */
export class LocalTokens {
  private readonly key: Uint8Array;
  constructor(private readonly opts: LocalTokenOptions) {
    this.key = new TextEncoder().encode(opts.secret);
  }

  async issue(user: { id: string; username: string; role: Role }): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(this.opts.now().getTime() / 1000);
    const exp = iat + this.opts.ttlSeconds;
    const token = await new SignJWT({ username: user.username, role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.opts.issuer)
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * Verifies signature, issuer and expiry. Algorithms are pinned to HS256 so that neither
   * `alg: none` nor an asymmetric-key confusion trick can pass.
   */
  async verify(token: string): Promise<LocalTokenClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.opts.issuer,
        currentDate: this.opts.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'jti'],
      }));
    } catch (e) {
      throw tokenError(e);
    }
    const { sub, username, role, jti } = payload;
    if (typeof sub !== 'string' || typeof username !== 'string' || typeof jti !== 'string' || !ROLES.includes(role as Role))
      throw new AppError('UNAUTHORIZED', 'Token claims are incomplete');
    return { sub, username, role: role as Role, jti };
  }
}
