import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, type ErrorDetail } from '../domain/errors';
import { readBody } from '../infra/http/read-body';
import { currentTraceId } from '../infra/telemetry/tracing';

/** Largest request body the model server accepts (a batch of a few thousand rows). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads and parses a JSON body. Malformed JSON → 400 VALIDATION_ERROR; too large → 413; empty → 400. */
export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const buf = await readBody(req, maxBytes);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new AppError('VALIDATION_ERROR', 'Malformed JSON body', [{ field: 'body', message: 'is not valid JSON' }]);
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', JSON_TYPE);
  res.setHeader('content-length', Buffer.byteLength(payload));
  if (headers) for (const k in headers) res.setHeader(k, headers[k]);
  res.end(payload);
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of the active span, else the one the caller sent in `traceparent` (tracing off), else null. */
export function traceIdOf(req: IncomingMessage | undefined): string | null {
  const active = currentTraceId();
  if (active) return active;
  const header = req?.headers.traceparent;
  const m = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  return m && m[1] !== '00000000000000000000000000000000' ? m[1] : null;
}

/** The spec's error body {error:{code,message,details,traceId,timestamp}}. */
export function errorBody(e: AppError, req?: IncomingMessage) {
  return { error: { code: e.code, message: e.message, details: e.details, traceId: traceIdOf(req), timestamp: new Date().toISOString() } };
}

export function sendError(res: ServerResponse, e: AppError, status = e.status): void {
  sendJson(res, status, errorBody(e, res.req), e.headers);
}

/** Anything thrown becomes an AppError; unknown errors are INTERNAL_ERROR (their message is not leaked). */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('INTERNAL_ERROR');
}

/** The Open Inference Protocol's error body: {"error": "<message>"}. */
export function sendOipError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error: message }, headers);
}

export function detailsText(details: readonly ErrorDetail[]): string {
  return details.map((d) => `${d.field}: ${d.message}`).join('; ');
}
