import { randomUUID } from 'node:crypto';
import { AppError, errors } from '../../domain/errors';
import type { Role } from '../../domain/permissions';
import { isDuplicateKeyError } from '../../infra/mongo/client';
import { normalizeUsername, type UserPatch, type UserRecord, type UserRepository } from '../../infra/mongo/user-repository';
import { hashPassword } from './password-hasher';

const LAST_ADMIN = 'At least one enabled Admin must remain';

const isEnabledAdmin = (u: Pick<UserRecord, 'role' | 'disabled'>) => u.role === 'Admin' && !u.disabled;

/**
 * User management with one invariant: an enabled Admin always exists (else nobody could manage
 * users again). FerretDB offers no multi-document transactions, so changes that may remove an
 * admin are applied first and then checked: if no enabled Admin is left the change is undone
 * and refused. Two concurrent demotions can then both be refused, but never both succeed.
 */
export class UserAdmin {
  constructor(
    private readonly deps: { users: UserRepository; now: () => Date; onChange: (id: string) => void },
  ) {}

  async create(input: { username: string; password: string; role: Role }): Promise<UserRecord> {
    const now = this.deps.now();
    const user: UserRecord = {
      _id: randomUUID(),
      schemaVersion: 1,
      username: normalizeUsername(input.username),
      passwordHash: await hashPassword(input.password),
      role: input.role,
      disabled: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    };
    try {
      await this.deps.users.insert(user);
    } catch (e) {
      if (isDuplicateKeyError(e)) throw errors.conflict(`User ${user.username} already exists`, [{ field: 'username', message: 'is taken' }]);
      throw e;
    }
    return user;
  }

  list(): Promise<UserRecord[]> {
    return this.deps.users.list();
  }

  /** Applies the change; returns the user before and after it (for the audit trail). */
  async update(id: string, input: { role?: Role; disabled?: boolean; password?: string }): Promise<{ before: UserRecord; after: UserRecord }> {
    const before = await this.get(id);
    const patch: UserPatch = {};
    if (input.role !== undefined) patch.role = input.role;
    if (input.disabled !== undefined) patch.disabled = input.disabled;
    if (input.password !== undefined) patch.passwordHash = await hashPassword(input.password);
    const after = await this.apply(id, patch);
    if (isEnabledAdmin(before) && !isEnabledAdmin(after) && (await this.deps.users.countEnabledAdmins()) === 0) {
      await this.apply(id, { role: before.role, disabled: before.disabled });
      throw errors.conflict(`${LAST_ADMIN}: cannot demote or disable ${before.username}`);
    }
    return { before, after };
  }

  async delete(id: string): Promise<void> {
    const user = await this.get(id);
    if (isEnabledAdmin(user)) {
      // Disable first so the invariant check sees the admin as gone, then delete for real.
      await this.apply(id, { disabled: true });
      if ((await this.deps.users.countEnabledAdmins()) === 0) {
        await this.apply(id, { disabled: false });
        throw errors.conflict(`${LAST_ADMIN}: cannot delete ${user.username}`);
      }
    }
    await this.deps.users.delete(id);
    this.deps.onChange(id);
  }

  private async get(id: string): Promise<UserRecord> {
    const user = await this.deps.users.findById(id);
    if (!user) throw errors.notFound('NOT_FOUND', `user ${id}`);
    return user;
  }

  private async apply(id: string, patch: UserPatch): Promise<UserRecord> {
    const user = await this.deps.users.update(id, patch, this.deps.now());
    // Tokens of this user are re-checked against the database at once in this process.
    this.deps.onChange(id);
    if (!user) throw new AppError('NOT_FOUND', `Resource does not exist: user ${id}`);
    return user;
  }
}
