import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../domain/errors';

/**
 * Whether a request carries the service credential, `Authorization: Bearer <SERVICE_TOKEN>`
 * (the scheme spelled exactly so). It guards the control API and inference, so it is on the
 * hot path: the expected bytes are built once, and each request's header is copied into one
 * preallocated buffer (node:http gives header values as latin1 strings) and compared in
 * constant time — no allocation per request. Safe to share the buffer: the check is synchronous.
 * Only the length can leak through timing, and it says nothing about the token.
 */
export function serviceCredentialCheck(serviceToken: string): (req: IncomingMessage) => boolean {
  const expected = Buffer.from(`Bearer ${serviceToken}`, 'latin1');
  const scratch = Buffer.alloc(expected.length);
  return (req) => {
    const got = req.headers.authorization;
    if (typeof got !== 'string' || got.length !== expected.length) return false;
    scratch.write(got, 'latin1');
    return timingSafeEqual(scratch, expected);
  };
}

/** The 401 for a request without the service credential (the spec's error body). */
export const serviceCredentialRequired = (what: string) =>
  new AppError('UNAUTHORIZED', `${what} requires the service token (Authorization: Bearer <SERVICE_TOKEN>)`, [], { 'www-authenticate': 'Bearer' });
