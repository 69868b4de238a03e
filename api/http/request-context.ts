import { randomUUID } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';
import type { Principal } from '../../domain/permissions';
import { currentTraceId } from '../../infra/telemetry/tracing';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
    traceId: string;
    principal?: Principal;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Gives every request an id (the caller's X-Request-Id when well-formed) and its trace id, echoed in headers. */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  req.requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
  req.traceId = currentTraceId() ?? req.requestId;
  res.setHeader('x-request-id', req.requestId);
  res.setHeader('x-trace-id', req.traceId);
  next();
}
