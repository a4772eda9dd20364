import { and, count, desc, eq, ilike, isNull, or, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Page } from '../../lib/pagination';
import { toPage } from '../../lib/pagination';
import type { RequestMeta } from '../../lib/request-meta';
import { hashPassword, verifyPassword } from '../../platform/crypto/password';
import { type Database, sqlState } from '../../platform/db/client';
import { users } from '../../platform/db/schema';
import type { Redis } from '../../platform/redis';
import type { Settings } from '../../settings';
import { auditInsert } from '../audit/audit.service';
import { notifyPasswordChanged, revokeAllSessions } from '../auth/auth.account-events';
import { emailOneTimeToken, voidOutstandingTokens } from '../auth/auth.one-time-tokens';
import type { AdminUserUpdate, UserRead, UserUpdate } from './users.schemas';

export interface UsersDeps {
  db: Database;
  redis: Redis;
  settings: Settings;
  logger: Logger;
}

export type UserRow = typeof users.$inferSelect;

/** What authentication needs on every request, cached in Redis: the public fields and the version. */
export interface CachedUser extends UserRead {
  token_version: number;
}

/** How long a user stays cached; every write to the user forgets it at once. */
const USER_CACHE_TTL_SECONDS = 300;

export const userCacheKey = (id: number) => `user:${id}`;

export function toUserRead(row: UserRow): UserRead {
  return {
    id: row.id,
    email: row.email,
    is_active: row.isActive,
    is_superuser: row.isSuperuser,
    is_verified: row.isVerified,
    first_name: row.firstName,
    last_name: row.lastName,
    phone: row.phone,
    avatar_url: row.avatarUrl,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    last_login: row.lastLogin?.toISOString() ?? null,
  };
}

export function toCachedUser(row: UserRow): CachedUser {
  return { ...toUserRead(row), token_version: row.tokenVersion };
}

/**
 * Stores the user unless the cache already holds a newer `token_version`. Writers cache the row
 * their statement returned, so the cache never needs a delete; and since a version only moves
 * forward, a slow writer holding an older row cannot bring back access that a password change,
 * deactivation or demotion (each bumps the version) has just taken away.
 */
const CACHE_USER_SCRIPT = `
local cached = redis.call('GET', KEYS[1])
if cached then
  local version = tonumber(string.match(cached, '"token_version":(%d+)'))
  if version and version > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;

/** Caches a user as it is now in the database (one Redis request); see the script above. */
export async function cacheUser({ redis }: Pick<UsersDeps, 'redis'>, row: UserRow | CachedUser) {
  const user = 'tokenVersion' in row ? toCachedUser(row) : row;
  await redis.eval(
    CACHE_USER_SCRIPT,
    [userCacheKey(user.id)],
    [JSON.stringify(user), user.token_version, USER_CACHE_TTL_SECONDS],
  );
}

const notDeleted = isNull(users.deletedAt);

/** The account for an e-mail address (case-insensitive), unless it was deleted. */
export async function findByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, notDeleted))
    .limit(1);
  return row;
}

/** The user with this id, unless deleted; 404 otherwise. */
export async function findById(db: Database, id: number): Promise<UserRow> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, id), notDeleted))
    .limit(1);
  if (!row) throw new AppError('NOT_FOUND', { detail: `User ${id} does not exist` });
  return row;
}

/**
 * Runs a write that may set an e-mail address; another account holding it (the unique index
 * on `lower(email)`) is `UPDATE_USER_EMAIL_ALREADY_EXISTS`.
 */
export async function withUniqueEmail<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (sqlState(error) === '23505')
      throw new AppError('UPDATE_USER_EMAIL_ALREADY_EXISTS', { cause: error });
    throw error;
  }
}

/**
 * Applies `changes` to a live user with `alongside` in one batch and returns the new row; with
 * nothing to change, the row as it is (an empty or no-op update is not an error).
 */
async function writeUser(
  db: Database,
  id: number,
  changes: PgUpdateSetSource<typeof users>,
  alongside: BatchItem<'pg'>[],
): Promise<UserRow> {
  if (!Object.values(changes).some((value) => value !== undefined)) return findById(db, id);
  const update = db
    .update(users)
    .set(changes)
    .where(and(eq(users.id, id), notDeleted))
    .returning();
  const [rows] = await withUniqueEmail(db.batch([update, ...alongside]));
  const [updated] = rows;
  if (!updated) throw new AppError('NOT_FOUND', { detail: `User ${id} does not exist` });
  return updated;
}

/** What a new password ends, in the batch that sets it: every session and every reset link. */
function passwordChangeStatements(db: Database, id: number): BatchItem<'pg'>[] {
  return [
    db.execute(revokeAllSessions(sql`${id}`)),
    db.execute(voidOutstandingTokens(sql`${id}`, 'password_changed')),
  ];
}

/** Checks the password a user typed to confirm a sensitive change (the hash is never cached). */
async function checkCurrentPassword(db: Database, id: number, password: string | undefined) {
  if (password === undefined) {
    const message = 'current_password is required to change the e-mail or the password';
    throw new AppError('VALIDATION_ERROR', {
      detail: message,
      errors: [{ path: 'body.current_password', message, code: 'invalid_type' }],
    });
  }
  const [stored] = await db
    .select({ hashedPassword: users.hashedPassword })
    .from(users)
    .where(eq(users.id, id));
  const check = stored?.hashedPassword
    ? await verifyPassword(password, stored.hashedPassword)
    : { valid: false };
  if (!check.valid) throw new AppError('UPDATE_USER_BAD_CURRENT_PASSWORD');
}

/**
 * A user's own profile change. A new e-mail or password needs the current password. A new
 * password ends every session and access token of the account (the version bump) and voids
 * outstanding reset links. A new e-mail stays pending, and the old one the login, until the
 * link sent to the new address is followed; the old address is told, with a link to report it.
 */
export async function updateMe(
  deps: UsersDeps,
  user: CachedUser,
  input: UserUpdate,
  meta: RequestMeta,
): Promise<UserRead> {
  const { db } = deps;
  const newEmail =
    input.email !== undefined && input.email !== user.email.toLowerCase() ? input.email : undefined;
  const newPassword = input.password;
  if (newEmail !== undefined || newPassword !== undefined)
    await checkCurrentPassword(db, user.id, input.current_password);
  if (newEmail !== undefined && (await findByEmail(db, newEmail)))
    throw new AppError('UPDATE_USER_EMAIL_ALREADY_EXISTS');
  // A value equal to the current one is no change: an unchanged body writes nothing.
  const changed = <T>(next: T | undefined, current: T) => (next === current ? undefined : next);
  const changes: PgUpdateSetSource<typeof users> = {
    firstName: changed(input.first_name, user.first_name),
    lastName: changed(input.last_name, user.last_name),
    phone: changed(input.phone, user.phone),
    avatarUrl: changed(input.avatar_url, user.avatar_url),
    ...(newPassword !== undefined && {
      hashedPassword: await hashPassword(newPassword),
      tokenVersion: sql`${users.tokenVersion} + 1`,
    }),
  };
  const updated = await writeUser(
    db,
    user.id,
    changes,
    newPassword === undefined
      ? []
      : [
          auditInsert(db, meta, { event: 'password_changed', userId: user.id }),
          ...passwordChangeStatements(db, user.id),
        ],
  );
  await cacheUser(deps, updated);
  if (newPassword !== undefined) await notifyPasswordChanged(deps, updated);
  if (newEmail !== undefined) await requestEmailChange(deps, updated, newEmail, meta);
  return toUserRead(updated);
}

/** Sends the confirmation link to the new address and the report link to the current one. */
async function requestEmailChange(
  deps: UsersDeps,
  user: UserRow,
  newEmail: string,
  meta: RequestMeta,
) {
  await emailOneTimeToken(deps, { ...user, email: newEmail }, 'change_email', [
    deps.db.execute(voidOutstandingTokens(sql`${user.id}`, 'email_change_requested')),
    auditInsert(deps.db, meta, {
      event: 'email_change_requested',
      userId: user.id,
      details: { from: user.email, to: newEmail },
    }),
  ]);
  await emailOneTimeToken(deps, user, 'report_email_change');
}

/** Superuser listing, newest first, optionally searching e-mail and names. */
export async function listUsers(deps: UsersDeps, page: Page, search?: string) {
  const pattern = search ? `%${search.replace(/[\\%_]/g, '\\$&')}%` : undefined;
  const where = and(
    notDeleted,
    pattern
      ? or(
          ilike(users.email, pattern),
          ilike(users.firstName, pattern),
          ilike(users.lastName, pattern),
        )
      : undefined,
  );
  const [rows, [total]] = await deps.db.batch([
    deps.db
      .select()
      .from(users)
      .where(where)
      .orderBy(desc(users.createdAt), desc(users.id))
      .offset(page.skip)
      .limit(page.limit),
    deps.db.select({ value: count() }).from(users).where(where),
  ]);
  return toPage(rows.map(toUserRead), total?.value ?? 0, page);
}

export async function getUser(deps: UsersDeps, id: number): Promise<UserRead> {
  return toUserRead(await findById(deps.db, id));
}

/**
 * A superuser's change to any account. Deactivating it or setting its password ends every
 * session and access token of the account.
 */
export async function adminUpdateUser(
  deps: UsersDeps,
  actorId: number,
  id: number,
  input: AdminUserUpdate,
  meta: RequestMeta,
): Promise<UserRead> {
  const { db } = deps;
  await findById(db, id);
  const endsSessions = input.is_active === false || input.password !== undefined;
  // A change of privilege or status also retires the user's access tokens (and any cached copy
  // of the old row): the next request must show the new state or log in again.
  const bumpsVersion =
    endsSessions || input.is_superuser !== undefined || input.is_active !== undefined;
  const changes: PgUpdateSetSource<typeof users> = {
    email: input.email,
    firstName: input.first_name,
    lastName: input.last_name,
    phone: input.phone,
    avatarUrl: input.avatar_url,
    isActive: input.is_active,
    isSuperuser: input.is_superuser,
    isVerified: input.is_verified,
    hashedPassword: input.password === undefined ? undefined : await hashPassword(input.password),
    ...(bumpsVersion && { tokenVersion: sql`${users.tokenVersion} + 1` }),
  };
  const { password: _, ...logged } = input;
  const updated = await writeUser(db, id, changes, [
    auditInsert(db, meta, {
      event: 'user_updated_by_admin',
      userId: id,
      actorId,
      details: { ...logged, ...(input.password !== undefined && { password: 'changed' }) },
    }),
    ...(input.password !== undefined
      ? passwordChangeStatements(db, id)
      : endsSessions
        ? [db.execute(revokeAllSessions(sql`${id}`))]
        : []),
    ...(input.email !== undefined
      ? [db.execute(voidOutstandingTokens(sql`${id}`, 'email_changed'))]
      : []),
  ]);
  await cacheUser(deps, updated);
  return toUserRead(updated);
}

/**
 * Soft delete: the row stays (for audit) until the purge job, but the account can no longer
 * log in and every token it holds stops working at once.
 */
export async function deleteUser(deps: UsersDeps, actorId: number, id: number, meta: RequestMeta) {
  const { db } = deps;
  await findById(db, id);
  const [rows] = await db.batch([
    db
      .update(users)
      .set({ deletedAt: new Date(), isActive: false, tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(and(eq(users.id, id), notDeleted))
      .returning(),
    db.execute(revokeAllSessions(sql`${id}`)),
    auditInsert(db, meta, { event: 'user_deleted_by_admin', userId: id, actorId }),
  ]);
  const [deleted] = rows;
  if (!deleted) throw new AppError('NOT_FOUND', { detail: `User ${id} does not exist` });
  await cacheUser(deps, deleted);
}
