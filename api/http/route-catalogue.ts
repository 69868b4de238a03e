import type { Router, RequestHandler } from 'express';
import { OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Permission } from '../../domain/permissions';
import { authorize } from './authorize';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** What a protected route requires; the permission-matrix test iterates these. */
export interface RouteSpec {
  method: Method;
  path: string;
  permission: Permission;
}

export type RouteDoc = Omit<RouteConfig, 'method' | 'path'>;

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Registers protected routes so that each names its permission once, the OpenAPI document is
 * generated from the same zod schemas the handlers validate with, and the catalogue of
 * (method, path, permission) stays complete for the role × route tests.
 */
export class RouteCatalogue {
  readonly routes: RouteSpec[] = [];
  readonly openapi = new OpenAPIRegistry();

  add(router: Router, base: string, method: Method, path: string, permission: Permission, doc: RouteDoc, ...handlers: RequestHandler[]): void {
    const full = `${base}${path === '/' ? '' : path}`;
    this.routes.push({ method, path: full, permission });
    this.openapi.registerPath({
      ...doc,
      method,
      path: toOpenApiPath(full),
      description: `${doc.description ?? ''}${doc.description ? '\n\n' : ''}Requires permission \`${permission}\`.`,
      security: [{ bearerAuth: [] }, { apiKey: [] }],
    });
    const label: RequestHandler = (req, res, next) => {
      res.locals.routeTemplate = full;
      res.locals.routePermission = permission;
      res.locals.routeParams = { ...req.params };
      next();
    };
    router[method](path, label, authorize(permission), ...handlers);
  }

  /** Documents a route that needs no permission (login, health). */
  document(method: Method, path: string, doc: RouteDoc): void {
    this.openapi.registerPath({ ...doc, method, path: toOpenApiPath(path) });
  }
}
