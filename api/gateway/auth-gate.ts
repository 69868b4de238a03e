import type { IncomingMessage } from 'node:http';
import { AppError, isAppError } from '../../domain/errors';
import { can, type Permission, type Principal } from '../../domain/permissions';
import type { HeaderBag } from '../auth/credentials';

/** The parts of the auth module the lean path uses (api/auth/auth-module.ts). */
export interface HeaderAuth {
  authenticateHeaders(headers: HeaderBag): Promise<Principal | undefined>;
  spendInference(principal: Principal): void;
}

const MAX_CACHED = 10_000;
/** After a background re-verification failed for want of the database, wait this long before the next. */
const REVALIDATE_RETRY_MS = 1000;

interface Entry {
  principal: Principal;
  /** Until then the credential is used as is; then, for `staleMs` more, while it is verified again. */
  freshUntil: number;
  /** No background verification starts before this (Infinity while one runs). */
  checkAfter: number;
}

/** The cache key of a request's credential (its exact header), or undefined when it has none or both. */
function credentialKey(h: IncomingMessage['headers']): string | undefined {
  const authorization = h.authorization;
  const apiKey = h['x-api-key'];
  if (typeof authorization === 'string') return apiKey === undefined ? `a ${authorization}` : undefined;
  if (typeof apiKey === 'string') return `k ${apiKey}`;
  return undefined;
}

function authorize(principal: Principal, permission: Permission): Principal {
  if (!can(principal.role, permission)) throw new AppError('FORBIDDEN', `Role ${principal.role} lacks permission ${permission}`);
  return principal;
}

/**
 * Authentication, authorization and the per-principal rate limit for the lean inference path.
 * A verified credential (JWT or API key, by its exact header value) is reused for `ttlMs`, so a
 * steady client costs one Map look-up instead of a JWT verification per request. After that it
 * is verified again in the background while requests keep using it, for at most `staleMs`
 * more: a slow or unreachable database (the user or key look-up) never holds up inference for
 * a caller already known. The price: a revoked key or a disabled user keeps working here for
 * `ttlMs` plus one background verification (the auth module's own caches already allow 5–10 s
 * across replicas), and while the database cannot answer, for up to `ttlMs + staleMs`. A
 * verification that says no (401/403) drops the credential at once. Failures are never cached.
 */
export class AuthGate {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly auth: HeaderAuth,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly staleMs = 0,
  ) {}

  /**
   * The caller from the cache, synchronously (the hot path: no promise); undefined when the
   * credential must be verified — call authenticate then. Throws 403 for a cached caller
   * lacking `permission`.
   */
  cached(req: IncomingMessage, permission: Permission): Principal | undefined {
    if (this.ttlMs <= 0) return undefined;
    const key = credentialKey(req.headers);
    if (key === undefined) return undefined;
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    const now = this.now();
    if (hit.freshUntil <= now) {
      if (hit.freshUntil + this.staleMs <= now) return undefined;
      if (hit.checkAfter <= now) this.revalidate(key, hit, req.headers);
    }
    return authorize(hit.principal, permission);
  }

  /** The caller, holding `permission`; throws 401 / 403. */
  async authenticate(req: IncomingMessage, permission: Permission): Promise<Principal> {
    const known = this.cached(req, permission);
    if (known) return known;
    const principal = await this.auth.authenticateHeaders(req.headers);
    if (!principal) throw new AppError('UNAUTHORIZED', 'Authentication required: send a Bearer token or an API key');
    const key = this.ttlMs > 0 ? credentialKey(req.headers) : undefined;
    if (key !== undefined) this.remember(key, principal);
    return authorize(principal, permission);
  }

  private remember(key: string, principal: Principal): void {
    // Full (10,000 distinct credentials): start over rather than evict one by one.
    if (this.cache.size >= MAX_CACHED && !this.cache.has(key)) this.cache.clear();
    this.cache.set(key, { principal, freshUntil: this.now() + this.ttlMs, checkAfter: 0 });
  }

  /** Verifies a stale entry again in the background (one at a time per credential). */
  private revalidate(key: string, entry: Entry, headers: IncomingMessage['headers']): void {
    entry.checkAfter = Infinity;
    const current = () => this.cache.get(key) === entry;
    this.auth.authenticateHeaders(headers).then(
      (principal) => {
        if (!current()) return;
        if (principal) this.remember(key, principal);
        else this.cache.delete(key);
      },
      (e: unknown) => {
        if (!current()) return;
        // The credential was refused: gone at once. Anything else (the database) is retried.
        if (isAppError(e) && (e.status === 401 || e.status === 403)) this.cache.delete(key);
        else entry.checkAfter = this.now() + REVALIDATE_RETRY_MS;
      },
    );
  }

  /** Spends one inference from the principal's budget (synchronous); throws 429 with Retry-After when over. */
  limit(principal: Principal): void {
    this.auth.spendInference(principal);
  }
}
