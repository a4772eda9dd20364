import { and, eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { AppError } from '../../lib/errors';
import type { RequestMeta } from '../../lib/request-meta';
import { encryptSecret } from '../../platform/crypto/secret-box';
import { hashToken } from '../../platform/crypto/tokens';
import { type Database, sqlState } from '../../platform/db/client';
import { oauthAccounts, users } from '../../platform/db/schema';
import type { Redis } from '../../platform/redis';
import type { Settings } from '../../settings';
import { auditFrom, auditInsert } from '../audit/audit.service';
import { type AuthDeps, openSession, type TokenPair } from '../auth/auth.sessions';
import { defaultRoleFrom } from '../rbac/rbac.service';
import type { UserRow } from '../users/users.service';
import * as usersService from '../users/users.service';
import { exchangeCode, type ProviderProfile, type ProviderTokens } from './oauth.providers';
import type { CallbackQuery, OAuthAccountRead, Provider } from './oauth.schemas';
import { matchState, type StoredState } from './oauth.state';

/** A state is good for one callback, however long its cookie lives. */
const USED_STATE_TTL_SECONDS = 15 * 60;

type SignInUser = Pick<UserRow, 'id' | 'tokenVersion' | 'isActive' | 'isVerified' | 'deletedAt'>;

/**
 * Completes a login the provider sent back: the state must match the browser's cookie and not
 * have been used before; the code is exchanged and the user signed in (see {@link signIn}).
 */
export async function callback(
  deps: AuthDeps,
  provider: Provider,
  stored: StoredState | null,
  query: CallbackQuery,
  meta: RequestMeta,
): Promise<TokenPair> {
  const state = matchState(stored, query.state);
  if (query.error) {
    throw new AppError(
      query.error === 'access_denied' ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_PROVIDER_ERROR',
      {
        detail: `${provider} answered ${query.error.slice(0, 64)}`,
      },
    );
  }
  if (!query.code) throw new AppError('OAUTH_INVALID_CODE', { detail: 'The callback has no code' });
  await useStateOnce(deps.redis, state.state);
  const { profile, tokens } = await exchangeCode(
    deps.settings,
    provider,
    query.code,
    state.code_verifier,
  );
  return signIn(deps, provider, profile, tokens, state.mode, meta);
}

/** Refuses a state seen before: a replayed callback fails even with the cookie replayed too. */
async function useStateOnce(redis: Redis, state: string) {
  const first = await redis.set(`oauth:state:${hashToken(state)}`, 1, {
    nx: true,
    ex: USED_STATE_TTL_SECONDS,
  });
  if (first !== 'OK')
    throw new AppError('OAUTH_INVALID_STATE', { detail: 'This login was already completed' });
}

/**
 * Signs in the user the provider vouches for: the user already linked to that provider
 * account; else the account with the same address, linked now if the provider verified the
 * address and `OAUTH_LINK_VERIFIED_EMAILS` allows it (never otherwise: 409); else a new account
 * without a password, verified when the provider verified the address. A deactivated user is
 * refused as a password login is.
 */
async function signIn(
  deps: AuthDeps,
  provider: Provider,
  profile: ProviderProfile,
  tokens: ProviderTokens,
  kind: 'bearer' | 'cookie',
  meta: RequestMeta,
): Promise<TokenPair> {
  const { db, settings } = deps;
  const stored = await storedTokens(settings, tokens);
  const thisAccount = and(
    eq(oauthAccounts.provider, provider),
    eq(oauthAccounts.providerAccountId, profile.accountId),
  );
  const [linked] = await db
    .select({ user: users })
    .from(oauthAccounts)
    .innerJoin(users, eq(users.id, oauthAccounts.userId))
    .where(thisAccount)
    .limit(1);

  let user: SignInUser;
  let verifies = false;
  const alongside: BatchItem<'pg'>[] = [];
  if (linked) {
    user = linked.user;
    alongside.push(
      db
        .update(oauthAccounts)
        .set({ email: profile.email, ...stored })
        .where(thisAccount),
    );
  } else {
    const existing = await usersService.findByEmail(db, profile.email);
    if (existing) {
      if (!profile.emailVerified || !settings.OAUTH_LINK_VERIFIED_EMAILS) {
        throw new AppError('OAUTH_USER_ALREADY_EXISTS');
      }
      user = existing;
      // The provider has just proven the address belongs to this person.
      verifies = !existing.isVerified;
      alongside.push(
        db.insert(oauthAccounts).values({
          userId: existing.id,
          provider,
          providerAccountId: profile.accountId,
          email: profile.email,
          ...stored,
        }),
        auditInsert(db, meta, {
          event: 'oauth_linked',
          userId: existing.id,
          details: { provider, by: 'verified_email' },
        }),
      );
    } else {
      user = await createUser({ db, settings }, provider, profile, stored, meta);
    }
  }

  if (!user.isActive || user.deletedAt) {
    await auditInsert(db, meta, {
      event: 'login_failed',
      userId: user.id,
      details: { provider },
    });
    throw new AppError('LOGIN_BAD_CREDENTIALS');
  }
  if (settings.REQUIRE_VERIFIED_LOGIN && !user.isVerified && !verifies) {
    throw new AppError('LOGIN_USER_NOT_VERIFIED');
  }
  try {
    return await openSession(
      deps,
      user,
      provider,
      kind,
      meta,
      verifies ? { isVerified: true } : {},
      alongside,
    );
  } catch (error) {
    // The account already has another link to this provider, or a parallel callback linked it.
    if (sqlState(error) === '23505')
      throw new AppError('OAUTH_USER_ALREADY_EXISTS', { cause: error });
    throw error;
  }
}

type StoredTokens = Pick<
  typeof oauthAccounts.$inferInsert,
  'accessToken' | 'refreshToken' | 'accessTokenExpiresAt'
>;

/** The provider's tokens as stored: encrypted when `OAUTH_STORE_TOKENS` asks, else nothing. */
async function storedTokens(settings: Settings, tokens: ProviderTokens): Promise<StoredTokens> {
  const key = settings.OAUTH_TOKEN_ENCRYPTION_KEY;
  if (!settings.OAUTH_STORE_TOKENS || !key) return {};
  return {
    accessToken: await encryptSecret(key, tokens.accessToken),
    refreshToken: tokens.refreshToken ? await encryptSecret(key, tokens.refreshToken) : null,
    accessTokenExpiresAt: tokens.expiresAt,
  };
}

/**
 * A new account without a password, its default role, its link and their audit records, in
 * one statement. An address taken meanwhile (or by a deleted account) is a 409.
 */
async function createUser(
  { db, settings }: { db: Database; settings: Pick<Settings, 'DEFAULT_ROLE'> },
  provider: Provider,
  profile: ProviderProfile,
  stored: StoredTokens,
  meta: RequestMeta,
): Promise<SignInUser> {
  const details = sql`jsonb_build_object('provider', ${provider}::text)`;
  const { rows } = await db.execute<{ id: number }>(sql`
    WITH created AS (
      INSERT INTO users (email, hashed_password, is_verified, first_name, last_name, avatar_url)
      VALUES (${profile.email}, NULL, ${profile.emailVerified}, ${profile.firstName}, ${profile.lastName}, ${profile.avatarUrl})
      ON CONFLICT DO NOTHING
      RETURNING id
    ), linked AS (
      INSERT INTO oauth_accounts (user_id, provider, provider_account_id, email, access_token, refresh_token, access_token_expires_at)
      SELECT id, ${provider}, ${profile.accountId}, ${profile.email}, ${stored.accessToken ?? null}::text,
             ${stored.refreshToken ?? null}::text, ${stored.accessTokenExpiresAt?.toISOString() ?? null}::timestamptz
      FROM created
    ), roled AS (${defaultRoleFrom(settings, sql`created`)}),
    registered AS (${auditFrom(meta, 'user_registered', { userId: sql`id`, from: sql`created`, details })}),
    audited AS (${auditFrom(meta, 'oauth_linked', { userId: sql`id`, from: sql`created`, details })})
    SELECT id FROM created`);
  const created = rows[0];
  if (!created) throw new AppError('OAUTH_USER_ALREADY_EXISTS');
  return {
    id: Number(created.id),
    tokenVersion: 0,
    isActive: true,
    isVerified: profile.emailVerified,
    deletedAt: null,
  };
}

/** The signed-in user's provider links, oldest first. */
export async function listAccounts(db: Database, userId: number): Promise<OAuthAccountRead[]> {
  const rows = await db
    .select()
    .from(oauthAccounts)
    .where(eq(oauthAccounts.userId, userId))
    .orderBy(oauthAccounts.createdAt);
  return rows.map((row) => ({
    provider: row.provider,
    account_id: row.providerAccountId,
    account_email: row.email,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  }));
}

/**
 * Removes the user's link to `provider`, in one statement, unless it is their last way to log
 * in (no password and no other link): 409. 404 when there is no such link.
 */
export async function unlink(db: Database, userId: number, provider: Provider, meta: RequestMeta) {
  // The final SELECT sees the table as it was before the DELETE, so `linked` says whether there
  // was a link to remove.
  const { rows } = await db.execute<{ removed: number; linked: number }>(sql`
    WITH removed AS (
      DELETE FROM oauth_accounts AS o
      WHERE o.user_id = ${userId} AND o.provider = ${provider}
        AND (
          EXISTS (SELECT 1 FROM users AS u WHERE u.id = o.user_id AND u.hashed_password IS NOT NULL)
          OR EXISTS (SELECT 1 FROM oauth_accounts AS x WHERE x.user_id = o.user_id AND x.provider <> o.provider)
        )
      RETURNING o.user_id, o.provider_account_id
    ), audited AS (
      INSERT INTO audit_log (user_id, event, ip, user_agent, request_id, details)
      SELECT user_id, 'oauth_unlinked', ${meta.ip}::inet, ${meta.userAgent}::text, ${meta.requestId}::text,
             jsonb_build_object('provider', ${provider}::text, 'account_id', provider_account_id)
      FROM removed
    )
    SELECT (SELECT count(*) FROM removed)::int AS removed,
           (SELECT count(*) FROM oauth_accounts WHERE user_id = ${userId} AND provider = ${provider})::int AS linked`);
  const result = rows[0];
  if (Number(result?.removed) > 0) return;
  if (Number(result?.linked) > 0) throw new AppError('OAUTH_LAST_LOGIN_METHOD');
  throw new AppError('NOT_FOUND', { detail: `No ${provider} account is linked` });
}
