import type { RequestHandler, Router } from 'express';
import { AppError } from '../../domain/errors';
import type { RouteCatalogue } from '../http/route-catalogue';
import { parseOrThrow } from '../http/validate';
import { commonErrors, jsonBody } from '../openapi/common-schemas';
import { LoginRequestSchema, LoginResponseSchema, PrincipalSchema } from './auth-schemas';
import type { LoginResult } from './login';
import { auditNote } from '../audit/audit-calls';

/** Unlike authorize(), needs no particular permission: any authenticated principal passes. */
const requireAuthenticated: RequestHandler = (req, _res, next) => {
  next(req.principal ? undefined : new AppError('UNAUTHORIZED', 'Authentication required: send a Bearer token or an API key'));
};

/** POST /authentication/login (rate-limited, public) and GET /authentication/me. */
export function sessionRoutes(
  router: Router,
  catalogue: RouteCatalogue,
  deps: { login(username: string, password: string): Promise<LoginResult>; loginLimit: RequestHandler },
): void {
  catalogue.document('post', '/api/v1/authentication/login', {
    tags: ['Authentication'],
    summary: 'Log in with username and password',
    description: `Returns a JWT to send as \`Authorization: Bearer <token>\`. Wrong username and wrong password give the same 401. Rate-limited per client address and username.`,
    request: { body: jsonBody(LoginRequestSchema) },
    responses: { 200: jsonBody(LoginResponseSchema, 'Logged in'), 400: commonErrors[400], 401: commonErrors[401], 429: commonErrors[429] },
  });
  router.post('/authentication/login', deps.loginLimit, async (req, res) => {
    // Not a catalogue route (no permission), but audited like one: failed logins included.
    res.locals.routeTemplate = '/api/v1/authentication/login';
    const body = parseOrThrow(LoginRequestSchema, req.body ?? {});
    auditNote(res, { target: { type: 'user', id: body.username } });
    const result = await deps.login(body.username, body.password);
    res.json({ token: result.token, expiresAt: result.expiresAt.toISOString(), user: result.user });
  });

  catalogue.document('get', '/api/v1/authentication/me', {
    tags: ['Authentication'],
    summary: 'Who am I',
    description: 'The authenticated principal: user (password or OIDC) or API key. Any role.',
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    responses: { 200: jsonBody(PrincipalSchema, 'The caller'), 401: commonErrors[401] },
  });
  router.get('/authentication/me', requireAuthenticated, (req, res) => {
    res.json(req.principal);
  });
}
