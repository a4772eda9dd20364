import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { RequestMeta } from '../../lib/request-meta';
import { readPreflight } from '../../middleware/preflight';
import type { Cache } from '../../platform/cache';
import { generateToken, hashToken } from '../../platform/crypto/tokens';
import type { Database } from '../../platform/db/client';
import { sessions, users } from '../../platform/db/schema';
import { type Redis, RedisBatch } from '../../platform/redis';
import type { Settings } from '../../settings';
import { auditFrom, auditInsert } from '../audit/audit.service';
import type { Preflight } from '../preflight';
import * as usersService from '../users/users.service';
import { type AccessClaims, signAccessToken, verifyAccessToken } from './auth.tokens';

// Sessions: one refresh-token family per signed-in device. Their rotation, revocation and the
// resolution of an access token to its user and session live here; accounts in auth.service.

export interface AuthDeps {
  db: Database;
  redis: Redis;
  settings: Settings;
  logger: Logger;
}

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

/** Access tokens of a revoked session are refused until they would have expired anyway. */
const revokedSessionKey = (familyId: string) => `session:revoked:${familyId}`;

/** How long a new session lives: a refresh-token family, or a cookie holding the access token. */
function sessionLifetimeMs(settings: Settings, kind: 'bearer' | 'cookie') {
  return kind === 'bearer'
    ? settings.REFRESH_TOKEN_EXPIRE_DAYS * 24 * 60 * 60 * 1000
    : settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60 * 1000;
}

/** The response of a login or refresh: a new access token with the session's refresh token. */
async function tokenPair(
  settings: Settings,
  claims: AccessClaims,
  refreshToken: string,
): Promise<TokenPair> {
  return {
    access_token: await signAccessToken(settings, claims),
    token_type: 'bearer',
    expires_in: settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    refresh_token: refreshToken,
  };
}

/**
 * Opens a session for a user who has proven who they are (a password, a social login): the
 * session row, `last_login` with any `changes` to the user, the `login_succeeded` record and
 * the `alongside` writes go in one batch. The user is cached, so the first authenticated
 * request finds it.
 */
export async function openSession(
  deps: AuthDeps,
  user: { id: number; tokenVersion: number },
  method: 'password' | 'google' | 'github',
  kind: 'bearer' | 'cookie',
  meta: RequestMeta,
  changes: PgUpdateSetSource<typeof users> = {},
  alongside: BatchItem<'pg'>[] = [],
): Promise<TokenPair> {
  const { db, settings } = deps;
  const refreshToken = generateToken();
  const familyId = crypto.randomUUID();
  const now = new Date();
  const [, [loggedIn]] = await db.batch([
    db.insert(sessions).values({
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(now.getTime() + sessionLifetimeMs(settings, kind)),
      userAgent: meta.userAgent,
      ip: meta.ip,
    }),
    db
      .update(users)
      .set({ lastLogin: now, ...changes })
      .where(eq(users.id, user.id))
      .returning(),
    auditInsert(db, meta, {
      event: 'login_succeeded',
      userId: user.id,
      details: method === 'password' ? { kind } : { kind, provider: method },
    }),
    ...alongside,
  ]);
  if (loggedIn) await usersService.cacheUser(deps, loggedIn);
  return tokenPair(
    settings,
    { userId: user.id, version: user.tokenVersion, familyId },
    refreshToken,
  );
}

/**
 * Rotates a refresh token in one statement: the presented row is revoked and linked to its
 * successor, which inherits the family and its absolute expiry. Presenting a token that was
 * already rotated is treated as theft and revokes the whole family, except within
 * `REFRESH_REUSE_INTERVAL_SECONDS` of its rotation by the same client (see
 * {@link continueFamily}).
 */
export async function refresh(
  deps: AuthDeps,
  refreshToken: string,
  meta: RequestMeta,
): Promise<TokenPair> {
  const { db, settings } = deps;
  const presented = hashToken(refreshToken);
  const next = generateToken();
  const { rows } = await db.execute<IssuedRow>(sql`
    WITH rotated AS (
      UPDATE sessions AS s
      SET revoked_at = now(), updated_at = now(),
          replaced_by = nextval(pg_get_serial_sequence('sessions', 'id'))
      FROM users AS u
      WHERE s.token_hash = ${presented} AND s.revoked_at IS NULL AND s.expires_at > now()
        AND u.id = s.user_id AND u.is_active AND u.deleted_at IS NULL
      RETURNING s.replaced_by AS id, s.user_id, s.family_id, s.expires_at, u.token_version
    ), issued AS (
      INSERT INTO sessions (id, user_id, family_id, token_hash, expires_at, user_agent, ip)
      OVERRIDING SYSTEM VALUE
      SELECT id, user_id, family_id, ${hashToken(next)}::text, expires_at, ${meta.userAgent}::text, ${meta.ip}::inet
      FROM rotated
      RETURNING id
    )
    SELECT rotated.user_id, rotated.family_id, rotated.token_version
    FROM rotated JOIN issued ON issued.id = rotated.id`);
  const issued = rows[0] ?? (await continueFamily(deps, presented, next, meta));
  if (issued) {
    return tokenPair(
      settings,
      {
        userId: Number(issued.user_id),
        version: Number(issued.token_version),
        familyId: issued.family_id,
      },
      next,
    );
  }
  await revokeReusedFamily(deps, presented, meta);
  throw new AppError('REFRESH_TOKEN_INVALID');
}

type IssuedRow = { user_id: number; family_id: string; token_version: number };

/**
 * Two tabs refreshing with one token at once: one rotates it, and the others present a token
 * that was just rotated. Within `REFRESH_REUSE_INTERVAL_SECONDS` of that rotation, from the
 * client that rotated it (same IP and user agent) and while the family is live, such a request
 * gets a new token of the same family instead of revoking it. Outside that, it is reuse.
 */
async function continueFamily(
  deps: AuthDeps,
  presented: string,
  next: string,
  meta: RequestMeta,
): Promise<IssuedRow | undefined> {
  const interval = deps.settings.REFRESH_REUSE_INTERVAL_SECONDS;
  if (interval === 0) return undefined;
  const { rows } = await deps.db.execute<IssuedRow>(sql`
    WITH presented AS (
      SELECT s.user_id, s.family_id, s.expires_at, u.token_version
      FROM sessions AS s
      JOIN sessions AS successor ON successor.id = s.replaced_by
      JOIN users AS u ON u.id = s.user_id
      WHERE s.token_hash = ${presented} AND s.expires_at > now()
        AND s.revoked_at > now() - make_interval(secs => ${interval})
        AND successor.ip IS NOT DISTINCT FROM ${meta.ip}::inet
        AND successor.user_agent IS NOT DISTINCT FROM ${meta.userAgent}::text
        AND u.is_active AND u.deleted_at IS NULL
        AND EXISTS (
          SELECT 1 FROM sessions AS live
          WHERE live.family_id = s.family_id AND live.revoked_at IS NULL AND live.expires_at > now()
        )
    ), issued AS (
      INSERT INTO sessions (user_id, family_id, token_hash, expires_at, user_agent, ip)
      SELECT user_id, family_id, ${hashToken(next)}::text, expires_at, ${meta.userAgent}::text, ${meta.ip}::inet
      FROM presented
      RETURNING id
    )
    SELECT user_id, family_id, token_version FROM presented, issued`);
  return rows[0];
}

/** A presented token that exists but was already revoked: end its family and record it. */
async function revokeReusedFamily(deps: AuthDeps, tokenHash: string, meta: RequestMeta) {
  const { db } = deps;
  const { rows } = await db.execute<{ user_id: number; family_id: string }>(sql`
    WITH presented AS (
      SELECT user_id, family_id FROM sessions WHERE token_hash = ${tokenHash} AND revoked_at IS NOT NULL
    ), revoked AS (
      UPDATE sessions SET revoked_at = now(), updated_at = now()
      WHERE family_id IN (SELECT family_id FROM presented) AND revoked_at IS NULL
      RETURNING id
    ), audited AS (${auditFrom(meta, 'refresh_token_reused', {
      userId: sql`user_id`,
      details: sql`jsonb_build_object('family_id', family_id, 'revoked', (SELECT count(*) FROM revoked))`,
      from: sql`presented`,
    })})
    SELECT user_id, family_id FROM presented`);
  const reused = rows[0];
  if (reused) {
    deps.logger.warn('refresh token reused; family revoked', { user_id: Number(reused.user_id) });
    await denySession(deps, reused.family_id);
  }
}

/** Refuses the session's access tokens from now until they would have expired. */
async function denySession(deps: Pick<AuthDeps, 'redis' | 'settings'>, familyId: string) {
  await deps.redis.set(revokedSessionKey(familyId), 1, {
    ex: deps.settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
  });
}

/** Ends one session (a refresh-token family) of a user; false when it is not theirs or already over. */
export async function endSession(
  deps: AuthDeps,
  userId: number,
  familyId: string,
  event: 'logout' | 'session_revoked',
  meta: RequestMeta,
): Promise<boolean> {
  const { db } = deps;
  const [revoked] = await db.batch([
    db
      .update(sessions)
      .set({ revokedAt: new Date() })
      .where(
        and(
          eq(sessions.familyId, familyId),
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
        ),
      )
      .returning({ id: sessions.id }),
    auditInsert(db, meta, { event, userId, details: { session_id: familyId } }),
  ]);
  if (revoked.length === 0) return false;
  await denySession(deps, familyId);
  return true;
}

const toDate = (value: string) => new Date(value);

/**
 * The user's signed-in devices: one entry per live refresh-token family, from that family's
 * rows only (this user's, through the `user_id` index): when it was first created, when its
 * live token was issued, and the client that refreshed it last.
 */
export async function listSessions(
  deps: Pick<AuthDeps, 'db'>,
  userId: number,
  currentSessionId: string,
) {
  const live = sql`${sessions.revokedAt} IS NULL AND ${sessions.expiresAt} > now()`;
  const latestLive = (column: typeof sessions.userAgent | typeof sessions.ip) =>
    sql<
      string | null
    >`(array_agg(${column} ORDER BY ${sessions.createdAt} DESC) FILTER (WHERE ${live}))[1]`;
  const lastUsedAt = sql<string>`max(${sessions.createdAt}) FILTER (WHERE ${live})`;
  const rows = await deps.db
    .select({
      id: sessions.familyId,
      createdAt: sql<string>`min(${sessions.createdAt})`.mapWith(toDate),
      lastUsedAt: lastUsedAt.mapWith(toDate),
      expiresAt: sql<string>`max(${sessions.expiresAt}) FILTER (WHERE ${live})`.mapWith(toDate),
      userAgent: latestLive(sessions.userAgent),
      ip: latestLive(sessions.ip),
    })
    .from(sessions)
    .where(eq(sessions.userId, userId))
    .groupBy(sessions.familyId)
    .having(sql`bool_or(${live})`)
    .orderBy(desc(lastUsedAt));
  return rows.map((row) => ({
    id: row.id,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    user_agent: row.userAgent,
    ip: row.ip,
    current: row.id === currentSessionId,
  }));
}

export interface Authenticated {
  user: usersService.CachedUser;
  /** What the token's Redis round trip read, with its verified claims. */
  preflight: Preflight;
}

/** What authentication reads in Redis for a token: the cached user and the session's mark. */
export const sessionKeys = (claims: AccessClaims) => [
  usersService.userCacheKey(claims.userId),
  revokedSessionKey(claims.familyId),
];

/**
 * Resolves an access token to its user. When `preflight()` read the token's keys (the request's
 * one Redis round trip, with the default rate limit), no other Redis request; otherwise one
 * (the cached user and the session's revocation mark). On a miss, one database query that
 * also checks the session, whose result is cached. The lookup shows as `Server-Timing: cache`.
 * Refused: a revoked session, a deleted or inactive user, and a token older than the user's
 * last password change or logout-all.
 */
export async function authenticate(
  deps: AuthDeps & { cache: Cache },
  token: string,
  read?: Preflight,
): Promise<Authenticated> {
  let preflight = read;
  if (preflight?.token !== token) {
    const claims = await verifyAccessToken(deps.settings, token);
    preflight = await readPreflight(new RedisBatch(deps.redis), token, claims, sessionKeys(claims));
  }
  const { claims, reads } = preflight;
  let user: usersService.CachedUser | null = null;
  if (reads) {
    const cached = reads.get(usersService.userCacheKey(claims.userId));
    deps.cache.report(cached ? 'hit' : 'miss', preflight.durationMs);
    if (reads.get(revokedSessionKey(claims.familyId))) {
      throw new AppError('UNAUTHORIZED', { detail: 'The session has ended' });
    }
    user = (cached as usersService.CachedUser | null | undefined) ?? null;
  } else {
    // Reported (and logged) as a cache error; the database answers instead.
    deps.cache.report('error', preflight.durationMs, preflight.error);
  }
  if (!user) {
    const [row] = await deps.db
      .select({ user: users })
      .from(users)
      .innerJoin(
        sessions,
        and(
          eq(sessions.familyId, claims.familyId),
          eq(sessions.userId, users.id),
          isNull(sessions.revokedAt),
        ),
      )
      .where(and(eq(users.id, claims.userId), isNull(users.deletedAt)))
      .limit(1);
    if (!row) throw new AppError('UNAUTHORIZED', { detail: 'The session has ended' });
    user = usersService.toCachedUser(row.user);
    if (reads) await usersService.cacheUser(deps, user).catch(() => undefined);
  }
  if (!user.is_active || user.token_version !== claims.version) {
    throw new AppError('UNAUTHORIZED', { detail: 'The token has been revoked' });
  }
  return { user, preflight };
}
