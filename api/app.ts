import express, { type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { ApiConfig } from '../infra/config/schemas';
import type { Logger } from '../infra/telemetry/logger';
import type { ProcessMetrics } from '../infra/telemetry/metrics';
import { serveMetrics } from '../infra/telemetry/metrics';
import { requestContext } from './http/request-context';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { RouteCatalogue } from './http/route-catalogue';
import { httpMetrics } from './http/http-metrics';
import { requestLog } from './http/request-log';
import { buildOpenApiDocument } from './openapi/openapi-document';
import type { HealthService } from './services/health-service';
import { healthRoutes } from './routes/health-routes';
import { auditCalls } from './audit/audit-calls';
import type { AuditTrail } from './audit/audit-trail';
import { consoleRoutes } from './console/console-routes';

/** The control plane's per-minute limits; inference has its own (api/auth/inference-limiter.ts). */
export type LimitName = 'register' | 'deploy' | 'login';

/** What the auth module (api/auth/) gives the app. */
export interface AuthModule {
  /** Sets req.principal from a Bearer JWT (ours or the OIDC issuer's) or an API key; 401 when credentials are present but invalid; nothing when absent. */
  authenticate: RequestHandler;
  /** Per-principal (per-IP when anonymous) rate limit → 429 RATE_LIMIT_EXCEEDED with Retry-After. */
  limit(name: LimitName): RequestHandler;
  /** Mounted at /api/v1: authentication/login, users, api-keys. */
  routes(catalogue: RouteCatalogue): Router;
}

/** A feature module mounted under /api/v1 (models, deployments, ...). */
export type FeatureRoutes = (catalogue: RouteCatalogue) => Router;

export interface AppParts {
  config: ApiConfig;
  log: Logger;
  metrics: ProcessMetrics;
  auth: AuthModule;
  health: HealthService;
  /** Records every state-changing API call (api/audit/audit-calls.ts). */
  audit: AuditTrail;
  features: FeatureRoutes[];
}

/** The control-plane Express app. The inference data plane is served beside it, not through it. */
export function createApp(parts: AppParts): { app: express.Express; catalogue: RouteCatalogue } {
  const { config, log, metrics, auth } = parts;
  const app = express();
  const catalogue = new RouteCatalogue();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestContext);
  app.use(httpMetrics(metrics));
  app.use(requestLog(log));
  app.use(helmet({ contentSecurityPolicy: false, strictTransportSecurity: Boolean(config.TLS_CERT_FILE) }));

  app.use(healthRoutes(parts.health));
  app.use(consoleRoutes(config));
  app.get('/metrics', (req, res, next) => {
    serveMetrics(metrics.registry, config.METRICS_TOKEN, req, res).catch(next);
  });

  const api = express.Router();
  api.use(express.json({ limit: config.MAX_BODY_BYTES, strict: true }));
  api.use(auth.authenticate);
  api.use(auditCalls(parts.audit));
  api.use(auth.routes(catalogue));
  for (const feature of parts.features) api.use(feature(catalogue));

  const openapi = buildOpenApiDocument(catalogue, config.PUBLIC_URL);
  app.get('/api/v1/openapi.json', (_req, res) => void res.json(openapi));
  // Swagger UI's inline scripts need their own CSP; helmet's default CSP is off for this reason.
  app.use('/api/v1/docs', swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'HotSwap API' }));
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(errorHandler(log));
  return { app, catalogue };
}
