import { AppError } from '../../domain/errors';
import type { Role } from '../../domain/permissions';
import type { UserRepository } from '../../infra/mongo/user-repository';
import type { Logger } from '../../infra/telemetry/logger';
import type { LocalTokens } from './local-tokens';
import { dummyPasswordHash, verifyPassword } from './password-hasher';

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: { username: string; role: Role };
}

/** One message for unknown user and wrong password, so responses do not reveal which usernames exist. */
const BAD_CREDENTIALS = 'Invalid username or password';

export async function login(
  deps: { users: UserRepository; tokens: LocalTokens; now: () => Date; log: Logger },
  username: string,
  password: string,
): Promise<LoginResult> {
  const user = await deps.users.findByUsername(username);
  // Unknown users still pay one argon2 verification, so timing does not reveal them either.
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
  if (!user || !ok) {
    deps.log.info({ username: username.slice(0, 256), known: Boolean(user) }, 'login failed');
    throw new AppError('UNAUTHORIZED', BAD_CREDENTIALS);
  }
  // Told only to someone who knows the password, so it reveals nothing to a guesser.
  if (user.disabled) throw new AppError('UNAUTHORIZED', 'User is disabled');
  const { token, expiresAt } = await deps.tokens.issue({ id: user._id, username: user.username, role: user.role });
  await deps.users.recordLogin(user._id, deps.now());
  deps.log.info({ userId: user._id, username: user.username }, 'login succeeded');
  return { token, expiresAt, user: { username: user.username, role: user.role } };
}
