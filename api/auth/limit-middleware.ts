import type { Request, RequestHandler } from 'express';
import type { Principal } from '../../domain/permissions';
import type { LimitName } from '../app';
import { normalizeUsername } from '../../infra/mongo/user-repository';
import type { RateLimits } from './rate-limits';

/** The budget key: the principal's, else the client address's. */
function principalKey(principal: Principal | undefined, ip: string): string {
  return principal ? `principal:${principal.id}` : `ip:${ip}`;
}

/**
 * Whose budget a request spends: the authenticated principal's, else the client address's.
 * Login is keyed by address *and* username, so one attacker cannot lock a user out from
 * everywhere and guessing one account is slowed without blocking a shared NAT's other users.
 */
export function limitKey(name: LimitName, req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  if (name === 'login') {
    const body = req.body as { username?: unknown } | undefined;
    const username = typeof body?.username === 'string' ? normalizeUsername(body.username).slice(0, 256) : '';
    return `ip:${ip}|user:${username}`;
  }
  return principalKey(req.principal, ip);
}

/** Express form of RateLimits.consume; sets X-RateLimit-Limit / X-RateLimit-Remaining on admitted requests. */
export function limitMiddleware(limits: RateLimits, name: LimitName): RequestHandler {
  return (req, res, next) => {
    limits.consume(name, limitKey(name, req)).then((info) => {
      res.setHeader('X-RateLimit-Limit', String(info.limit));
      res.setHeader('X-RateLimit-Remaining', String(info.remaining));
      next();
    }, next);
  };
}
