import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { AppError } from '../../domain/errors';
import { can, type Permission } from '../../domain/permissions';

/** Requires an authenticated principal holding `permission`: 401 without one, 403 without the permission. */
export function authorize(permission: Permission): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.principal) return next(new AppError('UNAUTHORIZED', 'Authentication required: send a Bearer token or an API key'));
    if (!can(req.principal.role, permission))
      return next(new AppError('FORBIDDEN', `Role ${req.principal.role} lacks permission ${permission}`));
    next();
  };
}
