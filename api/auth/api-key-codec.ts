import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `hs_<keyId>_<secret>`: the key id (hex, so it never contains the `_`
 * separator) finds the record in one indexed look-up; the secret (32 random bytes, base64url)
 * is what proves possession.
 *
 * Why sha256 and not argon2 for the secret: argon2 exists to make guessing *low-entropy*
 * passwords expensive. A 256-bit random secret cannot be guessed whatever the hash speed, so a
 * fast hash loses nothing — while argon2 (~20 MiB and tens of ms per verification) on every
 * inference call would cap throughput and invite memory exhaustion.
 */
const KEY_PATTERN = /^hs_([0-9a-f]{24})_([A-Za-z0-9_-]{43,128})$/;

export interface ParsedApiKey {
  keyId: string;
  secret: string;
}

export interface NewApiKey extends ParsedApiKey {
  plaintext: string;
  secretHash: string;
}

export function generateApiKey(): NewApiKey {
  const keyId = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, plaintext: `hs_${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

/** undefined when `key` is not shaped like one of ours. */
export function parseApiKey(key: string): ParsedApiKey | undefined {
  const m = KEY_PATTERN.exec(key);
  return m ? { keyId: m[1], secret: m[2] } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison, so response timing reveals nothing about how much of a hash matched. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
