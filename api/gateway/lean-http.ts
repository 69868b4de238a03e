import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../domain/errors';
import { errorBody } from '../http/error-body';
import { mintRequestId } from '../../infra/mongo/prediction-log-address';

/**
 * Request and response plumbing of the lean inference path (no Express; the bounded body
 * reader is infra/http/read-body.ts): JSON responses with a precomputed length, the spec's error body.
 */
const JSON_TYPE = 'application/json; charset=utf-8';
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The caller's X-Request-Id when well-formed, else a fresh UUIDv7 that tells the prediction log
 * where its entry is filed (infra/mongo/prediction-log-address.ts).
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : mintRequestId();
}

/** Parses a JSON object body; anything else is a 400 VALIDATION_ERROR. */
export function parseJsonObject(buf: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new AppError('VALIDATION_ERROR', 'Malformed JSON body', [{ field: 'body', message: 'is not valid JSON' }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AppError('VALIDATION_ERROR', 'Request body must be a JSON object', [{ field: 'body', message: 'must be a JSON object' }]);
  return value as Record<string, unknown>;
}

/** Writes a JSON payload (already serialized) with its length; extra headers are optional. */
export function sendPayload(res: ServerResponse, status: number, payload: string | Buffer, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('content-type', JSON_TYPE);
  res.setHeader('content-length', typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
  if (headers) for (const k in headers) res.setHeader(k, headers[k]);
  res.end(payload);
}

/** The spec's error body with the catalogue status and the error's own headers (Retry-After...). */
export function sendAppError(res: ServerResponse, e: AppError, traceId: string | undefined): void {
  sendPayload(res, e.status, JSON.stringify(errorBody(e, traceId)), e.headers);
}

/** The Open Inference Protocol's error body {"error": "..."}. */
export function sendOipError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  sendPayload(res, status, JSON.stringify({ error: message }), headers);
}

export { splitAfter } from './lean-paths';

/** One query parameter (first occurrence), without building a URLSearchParams for the common no-query case. */
export function queryParam(query: string, name: string): string | undefined {
  if (query.length === 0) return undefined;
  return new URLSearchParams(query).get(name) ?? undefined;
}

/** The caller's W3C `traceparent` header when it is well-formed. */
export function incomingTraceparent(req: IncomingMessage): string | undefined {
  const given = req.headers.traceparent;
  return typeof given === 'string' && TRACEPARENT.test(given) ? given : undefined;
}
