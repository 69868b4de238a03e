import { errors as jose } from 'jose';
import { AppError } from '../../domain/errors';

/**
 * Turns a jose verification failure into a 401 that tells the caller what to fix (log in
 * again, use the right issuer...) without echoing token contents. A key set that cannot be
 * fetched is our outage, not the caller's fault: 503.
 */
export function tokenError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof jose.JWTExpired) return new AppError('UNAUTHORIZED', 'Token has expired: log in again');
  if (e instanceof jose.JWTClaimValidationFailed) {
    if (e.claim === 'iss') return new AppError('UNAUTHORIZED', 'Token issuer is not trusted');
    if (e.claim === 'aud') return new AppError('UNAUTHORIZED', 'Token audience is not accepted');
    if (e.claim === 'nbf' || e.claim === 'iat') return new AppError('UNAUTHORIZED', 'Token is not valid yet');
    return new AppError('UNAUTHORIZED', `Token claim "${e.claim}" is invalid`);
  }
  if (e instanceof jose.JWSSignatureVerificationFailed) return new AppError('UNAUTHORIZED', 'Token signature is invalid');
  if (e instanceof jose.JOSEAlgNotAllowed || e instanceof jose.JOSENotSupported)
    return new AppError('UNAUTHORIZED', 'Token signing algorithm is not allowed');
  if (e instanceof jose.JWKSNoMatchingKey || e instanceof jose.JWKSMultipleMatchingKeys)
    return new AppError('UNAUTHORIZED', 'Token was not signed by a key of the trusted identity provider');
  if (e instanceof jose.JWKSTimeout || e instanceof jose.JWKSInvalid || (e instanceof jose.JOSEError && e.code === 'ERR_JOSE_GENERIC'))
    return new AppError('SERVICE_UNAVAILABLE', 'Identity provider key set is unavailable');
  if (e instanceof jose.JOSEError) return new AppError('UNAUTHORIZED', 'Token is malformed');
  // fetch() failures (connection refused, DNS) while loading the remote key set. Checked by
  // name, not instanceof: fetch's TypeError may come from another realm (e.g. a test sandbox).
  const { name, message } = (e ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'TypeError' && typeof message === 'string' && /fetch/i.test(message)) return new AppError('SERVICE_UNAVAILABLE', 'Identity provider key set is unavailable');
  return new AppError('UNAUTHORIZED', 'Token is invalid');
}
