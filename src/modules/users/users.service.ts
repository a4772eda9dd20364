import { and, count, desc, eq, ilike, isNull, or, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { AppError } from '../../lib/errors';
import type { Page } from '../../lib/pagination';
import { toPage } from '../../lib/pagination';
import type { RequestMeta } from '../../lib/request-meta';
import { hashPassword, verifyPassword } from '../../platform/crypto/password';
import { generateToken, hashToken } from '../../platform/crypto/tokens';
import { type Database, sqlState } from '../../platform/db/client';
import { oneTimeTokens, sessions, users } from '../../platform/db/schema';
import type { Redis } from '../../platform/redis';
import type { Settings } from '../../settings';
import { auditInsert } from '../audit/audit.service';
import { enqueue } from '../jobs/jobs.service';
import type { AdminUserUpdate, UserRead, UserUpdate } from './users.schemas';

export interface UsersDeps {
  db: Database;
  redis: Redis;
  settings: Settings;
}

export type UserRow = typeof users.$inferSelect;

/** What authentication needs on every request, cached in Redis: the public fields and the version. */
export interface CachedUser extends UserRead {
  token_version: number;
}

/** How long a user stays cached; every write to the user forgets it at once. */
const USER_CACHE_TTL_SECONDS = 300;
const VERIFY_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
const RESET_TOKEN_TTL_MS = 60 * 60 * 1000;

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

/** True for Postgres' unique violation (the e-mail index is the users table's only one). */
function isDuplicateEmail(error: unknown): boolean {
  return sqlState(error) === '23505';
}

const ONE_TIME_TOKENS = {
  verify_email: { ttlMs: VERIFY_TOKEN_TTL_MS, path: 'verify' },
  reset_password: { ttlMs: RESET_TOKEN_TTL_MS, path: 'reset-password' },
} as const;

/**
 * E-mails a single-use token: stores its hash (with `alongside`, in one batch) and enqueues
 * the e-mail with the link `{FRONTEND_URL}/verify?token=…` or `/reset-password?token=…`.
 * A verification token is bound to the address it was sent to.
 */
export async function emailOneTimeToken(
  deps: UsersDeps,
  user: Pick<UserRow, 'id' | 'email' | 'firstName'>,
  purpose: keyof typeof ONE_TIME_TOKENS,
  alongside: BatchItem<'pg'>[] = [],
) {
  const { ttlMs, path } = ONE_TIME_TOKENS[purpose];
  const token = generateToken();
  const insert = deps.db.insert(oneTimeTokens).values({
    userId: user.id,
    purpose,
    tokenHash: hashToken(token),
    email: user.email,
    expiresAt: new Date(Date.now() + ttlMs),
  });
  await deps.db.batch([insert, ...alongside]);
  const base = (deps.settings.FRONTEND_URL ?? deps.settings.PUBLIC_BASE_URL).replace(/\/$/, '');
  await enqueue(deps, 'send_email', {
    to: user.email,
    template: purpose,
    data: {
      link: `${base}/${path}?token=${encodeURIComponent(token)}`,
      name: user.firstName ?? undefined,
    },
  });
}

/**
 * A user's own profile change. A new e-mail must be verified again; a new password needs the
 * current one, and ends every session and access token (the version bump) of the account.
 */
export async function updateMe(
  deps: UsersDeps,
  user: CachedUser,
  input: UserUpdate,
  meta: RequestMeta,
): Promise<UserRead> {
  const { db } = deps;
  const changes: PgUpdateSetSource<typeof users> = {
    firstName: input.first_name,
    lastName: input.last_name,
    phone: input.phone,
    avatarUrl: input.avatar_url,
  };
  const emailChanged = input.email !== undefined && input.email !== user.email.toLowerCase();
  if (emailChanged) Object.assign(changes, { email: input.email, isVerified: false });
  if (input.password !== undefined) {
    // Only a password change reads the row first: the hash is never cached.
    const [stored] = await db
      .select({ hashedPassword: users.hashedPassword })
      .from(users)
      .where(eq(users.id, user.id));
    const check = stored?.hashedPassword
      ? await verifyPassword(input.current_password ?? '', stored.hashedPassword)
      : { valid: false };
    if (!check.valid) throw new AppError('UPDATE_USER_BAD_CURRENT_PASSWORD');
    Object.assign(changes, {
      hashedPassword: await hashPassword(input.password),
      tokenVersion: sql`${users.tokenVersion} + 1`,
    });
  }
  const events = [
    ...(emailChanged
      ? [
          auditInsert(db, meta, {
            event: 'email_changed',
            userId: user.id,
            details: { from: user.email, to: input.email },
          }),
        ]
      : []),
    ...(input.password !== undefined
      ? [
          auditInsert(db, meta, { event: 'password_changed', userId: user.id }),
          db
            .update(sessions)
            .set({ revokedAt: new Date() })
            .where(and(eq(sessions.userId, user.id), isNull(sessions.revokedAt))),
        ]
      : []),
  ];
  let updated: UserRow | undefined;
  try {
    const [rows] = await db.batch([
      db
        .update(users)
        .set(changes)
        .where(and(eq(users.id, user.id), notDeleted))
        .returning(),
      ...events,
    ]);
    updated = rows[0];
  } catch (error) {
    if (isDuplicateEmail(error))
      throw new AppError('UPDATE_USER_EMAIL_ALREADY_EXISTS', { cause: error });
    throw error;
  }
  if (!updated) throw new AppError('NOT_FOUND');
  await cacheUser(deps, updated);
  if (emailChanged) await emailOneTimeToken(deps, updated, 'verify_email');
  if (input.password !== undefined) {
    await enqueue(deps, 'send_email', {
      to: updated.email,
      template: 'password_changed',
      data: { name: updated.firstName ?? undefined },
    });
  }
  return toUserRead(updated);
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
  let updated: UserRow | undefined;
  try {
    const [rows] = await db.batch([
      db
        .update(users)
        .set(changes)
        .where(and(eq(users.id, id), notDeleted))
        .returning(),
      auditInsert(db, meta, {
        event: 'user_updated_by_admin',
        userId: id,
        actorId,
        details: { ...logged, ...(input.password !== undefined && { password: 'changed' }) },
      }),
      ...(endsSessions
        ? [
            db
              .update(sessions)
              .set({ revokedAt: new Date() })
              .where(and(eq(sessions.userId, id), isNull(sessions.revokedAt))),
          ]
        : []),
    ]);
    updated = rows[0];
  } catch (error) {
    if (isDuplicateEmail(error))
      throw new AppError('UPDATE_USER_EMAIL_ALREADY_EXISTS', { cause: error });
    throw error;
  }
  if (!updated) throw new AppError('NOT_FOUND', { detail: `User ${id} does not exist` });
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
  const now = new Date();
  const [rows] = await db.batch([
    db
      .update(users)
      .set({ deletedAt: now, isActive: false, tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(and(eq(users.id, id), notDeleted))
      .returning(),
    db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.userId, id), isNull(sessions.revokedAt))),
    auditInsert(db, meta, { event: 'user_deleted_by_admin', userId: id, actorId }),
  ]);
  const [deleted] = rows;
  if (!deleted) throw new AppError('NOT_FOUND', { detail: `User ${id} does not exist` });
  await cacheUser(deps, deleted);
}
