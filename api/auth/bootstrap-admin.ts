import { randomUUID } from 'node:crypto';
import type { ApiConfig } from '../../infra/config/schemas';
import { isDuplicateKeyError } from '../../infra/mongo/client';
import { normalizeUsername, type UserRepository } from '../../infra/mongo/user-repository';
import type { Logger } from '../../infra/telemetry/logger';
import { generatePassword, hashPassword } from './password-hasher';

export interface BootstrapResult {
  username: string;
  /** Set only by the call that created the admin with a generated password: print it once. */
  generatedPassword?: string;
}

/**
 * First start: when no Admin exists, create BOOTSTRAP_ADMIN_USERNAME with
 * BOOTSTRAP_ADMIN_PASSWORD or a generated password. Idempotent; when several api replicas start
 * at once they all try, the unique username index lets one insert win, and the others see the
 * duplicate-key error and stand down (their generated passwords were never stored).
 */
export async function bootstrapAdmin(deps: { config: ApiConfig; users: UserRepository; now: () => Date; log: Logger }): Promise<BootstrapResult> {
  const { config, users, log } = deps;
  const existing = await users.findAnyAdmin();
  if (existing) return { username: existing.username };

  const username = normalizeUsername(config.BOOTSTRAP_ADMIN_USERNAME);
  const generatedPassword = config.BOOTSTRAP_ADMIN_PASSWORD ? undefined : generatePassword();
  const now = deps.now();
  try {
    await users.insert({
      _id: randomUUID(),
      schemaVersion: 1,
      username,
      passwordHash: await hashPassword(config.BOOTSTRAP_ADMIN_PASSWORD ?? generatedPassword!),
      role: 'Admin',
      disabled: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    });
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    // Another replica won the race, or a non-admin user already holds this name.
    const holder = await users.findByUsername(username);
    // Not fatal (the api still serves), but nobody can manage users until an operator acts.
    if (holder?.role !== 'Admin') log.error({ username }, 'no Admin exists and BOOTSTRAP_ADMIN_USERNAME is taken by a non-admin user: set another BOOTSTRAP_ADMIN_USERNAME');
    return { username };
  }
  log.info({ username, passwordGenerated: Boolean(generatedPassword) }, 'bootstrap admin created');
  return generatedPassword ? { username, generatedPassword } : { username };
}
