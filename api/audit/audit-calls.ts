import type { Request, RequestHandler, Response } from 'express';
import type { AuditActor, AuditEntry, AuditTarget } from '../../domain/audit/audit-chain';
import type { Permission, Principal } from '../../domain/permissions';
import type { AuditTrail } from './audit-trail';

/** What a route adds to its call's audit record: a precise target, the state before and after. */
export interface AuditNote {
  target?: AuditTarget;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Data-plane writes (feedback) are request data, not governance: not audited, and never slowed by it. */
const UNAUDITED: ReadonlySet<Permission> = new Set(['inference:run', 'inference:feedback']);

/** Adds to the audit record of the current call (the last note wins per field). */
export function auditNote(res: Response, note: AuditNote): void {
  res.locals.audit = { ...(res.locals.audit as AuditNote | undefined), ...note };
}

export function actorOf(principal: Principal | undefined): AuditActor {
  if (!principal) return { type: 'anonymous', id: null, name: null, role: null };
  return { type: principal.via === 'api-key' ? 'api-key' : 'user', id: principal.id, name: principal.username, role: principal.role };
}

/** `/api/v1/routing/:modelName/:environment` with {modelName: 'fraud', environment: 'Production'} → routing fraud/Production. */
function defaultTarget(route: string, params: Record<string, string>): AuditTarget | null {
  const values = Object.values(params);
  if (values.length === 0) return null;
  return { type: route.split('/')[3] ?? route, id: values.join('/') };
}

function entryOf(req: Request, res: Response): AuditEntry | null {
  const route = res.locals.routeTemplate as string | undefined;
  const permission = res.locals.routePermission as Permission | undefined;
  if (route === undefined || (permission !== undefined && UNAUDITED.has(permission))) return null;
  const note = (res.locals.audit as AuditNote | undefined) ?? {};
  const params = (res.locals.routeParams as Record<string, string> | undefined) ?? {};
  const entry: AuditEntry = {
    actor: actorOf(req.principal),
    action: `${req.method} ${route}`,
    target: note.target ?? defaultTarget(route, params),
    status: res.statusCode,
    requestId: req.requestId,
    traceId: req.traceId,
  };
  if (note.before !== undefined) entry.before = note.before;
  if (note.after !== undefined) entry.after = note.after;
  const details = { ...(Object.keys(params).length > 0 && { params }), ...note.details };
  if (Object.keys(details).length > 0) entry.details = details;
  return entry;
}

/**
 * Records every state-changing call that reached a route (POST, PUT, PATCH, DELETE; refused ones
 * too, with their status) in the audit trail: who, what route, which target, status, request id
 * and trace id, plus what the route noted (auditNote). Mounted once, after authentication. The
 * answer is held until the first append attempt settled, so a caller that got its answer finds
 * the record (AuditTrail explains what happens when the append fails).
 */
export function auditCalls(trail: AuditTrail): RequestHandler {
  return (req, res, next) => {
    if (!STATE_CHANGING.has(req.method)) return next();
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let ended = false;
    res.end = ((...args: unknown[]) => {
      if (ended) return end(...args);
      ended = true;
      const entry = entryOf(req, res);
      if (!entry) return end(...args);
      void trail.record(entry).finally(() => end(...args));
      return res;
    }) as Response['end'];
    next();
  };
}
