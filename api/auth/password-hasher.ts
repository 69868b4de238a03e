import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with the library defaults (19 MiB, 2 passes, 1 lane — OWASP's recommendation).
 * The algorithm is left at its default (Argon2id) instead of passing `Algorithm.Argon2id`
 * because that is a `const enum`, which per-file transpilers (swc in tests) cannot inline.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** False for a wrong password or an unreadable hash (never throws on bad input). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password, verified against when the username is unknown so that an
 * unknown user costs the same argon2 work as a wrong password (no timing oracle for usernames).
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  return dummyHash;
}

/** A random password for the bootstrap admin: 18 random bytes → 24 base64url characters. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
