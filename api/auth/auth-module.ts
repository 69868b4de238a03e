import express, { type RequestHandler } from 'express';
import type { Db } from 'mongodb';
import type { Principal } from '../../domain/permissions';
import type { ApiConfig } from '../../infra/config/schemas';
import { ApiKeyRepository } from '../../infra/mongo/api-key-repository';
import { UserRepository } from '../../infra/mongo/user-repository';
import type { Logger } from '../../infra/telemetry/logger';
import type { AuthModule } from '../app';
import type { RouteCatalogue } from '../http/route-catalogue';
import { ApiKeyAdmin } from './api-key-admin';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { apiKeyRoutes } from './api-key-routes';
import { bootstrapAdmin, type BootstrapResult } from './bootstrap-admin';
import type { HeaderBag } from './credentials';
import { InferenceLimiter } from './inference-limiter';
import { limitMiddleware } from './limit-middleware';
import { LocalTokens } from './local-tokens';
import { login } from './login';
import { OidcVerifier } from './oidc-verifier';
import { PrincipalResolver } from './principal-resolver';
import { RateLimits } from './rate-limits';
import { sessionRoutes } from './session-routes';
import { UserAdmin } from './user-admin';
import { userRoutes } from './user-routes';

export interface AuthModuleDeps {
  config: ApiConfig;
  db: Db;
  log: Logger;
  now?: () => Date;
}

export interface FullAuthModule extends AuthModule {
  /** Creates the first Admin when none exists; see bootstrap-admin.ts. */
  bootstrap(): Promise<BootstrapResult>;
  /** Framework-free form of `authenticate`, for the lean inference path. Throws AppError (401/403/503). */
  authenticateHeaders(headers: HeaderBag): Promise<Principal | undefined>;
  /** Counts one inference of the caller (per replica; inference-limiter.ts); throws AppError RATE_LIMIT_EXCEEDED (with Retry-After) when over. */
  spendInference(principal: Principal): void;
  /** Stops background timers (rate-limit sweeper). */
  close(): void;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
}

/** Wires authentication, authorization data, rate limits and the auth routes over one database. */
export async function createAuthModule(deps: AuthModuleDeps): Promise<FullAuthModule> {
  const { config, db, log } = deps;
  const now = deps.now ?? (() => new Date());
  const users = new UserRepository(db);
  const apiKeys = new ApiKeyRepository(db);
  await Promise.all([users.ensureIndexes(), apiKeys.ensureIndexes()]);

  const tokens = new LocalTokens({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttlSeconds: config.JWT_TTL_SECONDS, now });
  const oidc =
    config.OIDC_ISSUER && config.OIDC_JWKS_URL
      ? new OidcVerifier({ issuer: config.OIDC_ISSUER, jwksUrl: config.OIDC_JWKS_URL, audience: config.OIDC_AUDIENCE, roleClaim: config.OIDC_ROLE_CLAIM, now })
      : undefined;
  const keyAuth = new ApiKeyAuthenticator(apiKeys, now, log);
  const resolver = new PrincipalResolver({ users, tokens, apiKeys: keyAuth, oidc, now });
  const limits = await RateLimits.create({ config, db, log });
  const inference = new InferenceLimiter({ user: config.RATE_LIMIT_INFERENCE_PER_MIN, apiKey: config.RATE_LIMIT_API_KEY_INFERENCE_PER_MIN });
  const userAdmin = new UserAdmin({ users, now, onChange: (id) => resolver.forgetUser(id) });
  const keyAdmin = new ApiKeyAdmin({ apiKeys, now, onChange: (id) => keyAuth.forget(id), defaultInferenceRateLimitPerMin: config.RATE_LIMIT_API_KEY_INFERENCE_PER_MIN });

  const authenticate: RequestHandler = (req, _res, next) => {
    resolver.resolve(req.headers).then((principal) => {
      if (principal) req.principal = principal;
      next();
    }, next);
  };

  return {
    authenticate,
    limit: (name) => limitMiddleware(limits, name),
    routes(catalogue: RouteCatalogue) {
      const router = express.Router();
      sessionRoutes(router, catalogue, {
        login: (username, password) => login({ users, tokens, now, log }, username, password),
        loginLimit: limitMiddleware(limits, 'login'),
      });
      userRoutes(router, catalogue, userAdmin);
      apiKeyRoutes(router, catalogue, keyAdmin);
      return router;
    },
    bootstrap: () => bootstrapAdmin({ config, users, now, log }),
    authenticateHeaders: (headers) => resolver.resolve(headers),
    spendInference: (principal) => inference.spend(principal),
    close: () => limits.close(),
    users,
    apiKeys,
  };
}
