import type { Collection, Db } from 'mongodb';
import type { Role } from '../../domain/permissions';

/** A person who logs in with a password. Usernames are stored lower-cased (see normalizeUsername). */
export interface UserRecord {
  _id: string; // uuid
  schemaVersion: 1;
  username: string;
  passwordHash: string; // argon2id PHC string
  role: Role;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export type UserPatch = Partial<Pick<UserRecord, 'role' | 'disabled' | 'passwordHash'>>;

/**
 * Usernames are often e-mail addresses, which people type with varying case; lower-casing once
 * keeps `Alice@x` and `alice@x` from becoming two accounts (FerretDB has no collation indexes).
 */
export const normalizeUsername = (username: string): string => username.trim().toLowerCase();

export class UserRepository {
  private readonly col: Collection<UserRecord>;
  constructor(db: Db) {
    this.col = db.collection<UserRecord>('users');
  }

  async ensureIndexes(): Promise<void> {
    // The unique index is what makes concurrent bootstraps on several replicas create one admin.
    await this.col.createIndex({ username: 1 }, { unique: true, name: 'username_unique' });
    await this.col.createIndex({ role: 1, disabled: 1 }, { name: 'role_disabled' });
  }

  /** Throws a duplicate-key error (see isDuplicateKeyError) when the username is taken. */
  async insert(user: UserRecord): Promise<void> {
    await this.col.insertOne(user);
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.col.findOne({ _id: id });
  }

  findByUsername(username: string): Promise<UserRecord | null> {
    return this.col.findOne({ username: normalizeUsername(username) });
  }

  list(): Promise<UserRecord[]> {
    return this.col.find({}).sort({ username: 1 }).toArray();
  }

  /** Applies `patch` and returns the updated user, or null when it does not exist. */
  async update(id: string, patch: UserPatch, now: Date): Promise<UserRecord | null> {
    return this.col.findOneAndUpdate({ _id: id }, { $set: { ...patch, updatedAt: now } }, { returnDocument: 'after' });
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.col.deleteOne({ _id: id });
    return res.deletedCount === 1;
  }

  async recordLogin(id: string, at: Date): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { lastLoginAt: at } });
  }

  countEnabledAdmins(): Promise<number> {
    return this.col.countDocuments({ role: 'Admin', disabled: false });
  }

  findAnyAdmin(): Promise<UserRecord | null> {
    return this.col.findOne({ role: 'Admin' });
  }
}
