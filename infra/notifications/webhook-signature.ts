/**
 * Signing of webhook bodies. The signature covers the timestamp and the body,
 * `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, so a receiver that checks the
 * timestamp is recent also refuses a captured request replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hotswap-signature';
export const TIMESTAMP_HEADER = 'x-hotswap-timestamp';
/** How old a signed request may be, by default, when a receiver verifies it. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature header value for `body` sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type SignatureCheck = { valid: true } | { valid: false; reason: 'missing' | 'stale' | 'mismatch' };

/** What a receiver does: recompute the signature and refuse requests older (or newer) than `toleranceSeconds`. */
export function verifyWebhook(input: { secret: string; body: string; signature: string | undefined; timestamp: string | undefined; nowSeconds: number; toleranceSeconds?: number }): SignatureCheck {
  if (!input.signature || !input.timestamp || !/^\d+$/.test(input.timestamp)) return { valid: false, reason: 'missing' };
  const ts = Number(input.timestamp);
  if (Math.abs(input.nowSeconds - ts) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(input.secret, ts, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? { valid: true } : { valid: false, reason: 'mismatch' };
}
