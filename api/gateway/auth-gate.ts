import type { IncomingMessage } from 'node:http';
import { AppError } from '../../domain/errors';
import { can, type Permission, type Principal } from '../../domain/permissions';
import type { LimitName } from '../app';
import type { HeaderBag } from '../auth/credentials';
import { principalKey } from '../auth/limit-middleware';

/** The parts of the auth module the lean path uses (api/auth/auth-module.ts). */
export interface HeaderAuth {
  authenticateHeaders(headers: HeaderBag): Promise<Principal | undefined>;
  consume(name: LimitName, key: string): Promise<void>;
}

const MAX_CACHED = 10_000;

/**
 * Authentication, authorization and the per-principal rate limit for the lean inference path.
 * A verified credential (JWT or API key, by its exact header value) is reused for `ttlMs`, so a
 * steady client costs one Map look-up instead of a JWT verification per request; the price is
 * that a revoked key or a disabled user keeps working here for at most `ttlMs` longer (the auth
 * module's own caches already allow 5–10 s across replicas). Failures are never cached.
 */
export class AuthGate {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly auth: HeaderAuth,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The caller from the cache, synchronously (the hot path: no promise); undefined when the
   * credential must be verified — call authenticate then. Throws 403 for a cached caller
   * lacking `permission`.
   */
  cached(req: IncomingMessage, permission: Permission): Principal | undefined {
    if (this.ttlMs <= 0) return undefined;
    const h = req.headers;
    let key: string | undefined;
    if (typeof h.authorization === 'string') {
      if (h['x-api-key'] === undefined) key = `a ${h.authorization}`;
    } else if (typeof h['x-api-key'] === 'string' && h.authorization === undefined) key = `k ${h['x-api-key']}`;
    if (key === undefined) return undefined;
    const hit = this.cache.get(key);
    if (!hit || hit.until <= this.now()) return undefined;
    if (!can(hit.principal.role, permission)) throw new AppError('FORBIDDEN', `Role ${hit.principal.role} lacks permission ${permission}`);
    return hit.principal;
  }

  /** The caller, holding `permission`; throws 401 / 403. */
  async authenticate(req: IncomingMessage, permission: Permission): Promise<Principal> {
    const h = req.headers;
    const authorization = h.authorization;
    const apiKey = h['x-api-key'];
    let key: string | undefined;
    if (typeof authorization === 'string' && apiKey === undefined) key = `a ${authorization}`;
    else if (typeof apiKey === 'string' && authorization === undefined) key = `k ${apiKey}`;
    let principal: Principal | undefined;
    if (key !== undefined && this.ttlMs > 0) {
      const hit = this.cache.get(key);
      if (hit && hit.until > this.now()) principal = hit.principal;
    }
    if (!principal) {
      principal = await this.auth.authenticateHeaders(h);
      if (!principal) throw new AppError('UNAUTHORIZED', 'Authentication required: send a Bearer token or an API key');
      if (key !== undefined && this.ttlMs > 0) {
        if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(key, { principal, until: this.now() + this.ttlMs });
      }
    }
    if (!can(principal.role, permission)) throw new AppError('FORBIDDEN', `Role ${principal.role} lacks permission ${permission}`);
    return principal;
  }

  /** Spends one inference from the principal's budget; throws 429 with Retry-After when over. */
  limit(principal: Principal, req: IncomingMessage): Promise<void> {
    return this.auth.consume('inference', principalKey(principal, req.socket.remoteAddress ?? 'unknown'));
  }
}
