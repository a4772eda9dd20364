import { eq, sql } from 'drizzle-orm';
import { AppError } from '../../lib/errors';
import type { RequestMeta } from '../../lib/request-meta';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../platform/crypto/password';
import { generateToken, hashToken } from '../../platform/crypto/tokens';
import { sessions, users } from '../../platform/db/schema';
import { auditInsert } from '../audit/audit.service';
import { enqueue } from '../jobs/jobs.service';
import { defaultRoleInsert } from '../rbac/rbac.service';
import type { UserRead } from '../users/users.schemas';
import * as usersService from '../users/users.service';
import { type AuthDeps, sessionLifetimeMs, type TokenPair, tokenPair } from './auth.sessions';

/**
 * Registers an account. The e-mail is unique case-insensitively; the password is hashed
 * before the uniqueness check, so a taken address costs the same time as a new one.
 */
export async function register(
  deps: AuthDeps,
  input: {
    email: string;
    password: string;
    first_name: string;
    last_name: string;
    phone?: string | undefined;
  },
  meta: RequestMeta,
): Promise<UserRead> {
  const hashedPassword = await hashPassword(input.password);
  const [[user]] = await deps.db.batch([
    deps.db
      .insert(users)
      .values({
        email: input.email,
        hashedPassword,
        firstName: input.first_name,
        lastName: input.last_name,
        phone: input.phone ?? null,
      })
      .onConflictDoNothing()
      .returning(),
    // The default role, in the same round trip and transaction as the account.
    defaultRoleInsert(deps.db, deps.settings),
  ]);
  if (!user) throw new AppError('REGISTER_USER_ALREADY_EXISTS');
  await onRegistered(deps, user, meta);
  return usersService.toUserRead(user);
}

/** What follows a registration: the audit record and the verification e-mail. */
async function onRegistered(deps: AuthDeps, user: usersService.UserRow, meta: RequestMeta) {
  await usersService.emailOneTimeToken(deps, user, 'verify_email', [
    auditInsert(deps.db, meta, { event: 'user_registered', userId: user.id }),
  ]);
}

/**
 * Checks e-mail and password and opens a session: two database round trips whatever happens
 * (the lookup, then one batch). Every failure is the same `LOGIN_BAD_CREDENTIALS`, and an
 * unknown e-mail still runs a password hash, so neither answer nor timing tells whether an
 * account exists.
 */
export async function login(
  deps: AuthDeps,
  credentials: { email: string; password: string },
  kind: 'bearer' | 'cookie',
  meta: RequestMeta,
): Promise<TokenPair> {
  const { db, settings } = deps;
  const user = await usersService.findByEmail(db, credentials.email);
  let check = { valid: false, needsRehash: false };
  if (user?.hashedPassword) check = await verifyPassword(credentials.password, user.hashedPassword);
  else await burnPasswordCheck(credentials.password);

  if (!user || !check.valid || !user.isActive) {
    await auditInsert(db, meta, {
      event: 'login_failed',
      userId: user?.id ?? null,
      details: { email: credentials.email },
    });
    throw new AppError('LOGIN_BAD_CREDENTIALS');
  }
  if (settings.REQUIRE_VERIFIED_LOGIN && !user.isVerified)
    throw new AppError('LOGIN_USER_NOT_VERIFIED');

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
      .set({
        lastLogin: now,
        ...(check.needsRehash && { hashedPassword: await hashPassword(credentials.password) }),
      })
      .where(eq(users.id, user.id))
      .returning(),
    auditInsert(db, meta, { event: 'login_succeeded', userId: user.id, details: { kind } }),
  ]);
  // The first authenticated request then finds the user cached.
  if (loggedIn) await usersService.cacheUser(deps, loggedIn);
  return tokenPair(
    settings,
    { userId: user.id, version: user.tokenVersion, sessionId: familyId },
    refreshToken,
  );
}

/** Sends a new verification e-mail when the address belongs to an unverified, active account. */
export async function requestVerification(deps: AuthDeps, email: string) {
  const user = await usersService.findByEmail(deps.db, email);
  if (!user || user.isVerified || !user.isActive) return;
  await usersService.emailOneTimeToken(deps, user, 'verify_email');
}

/**
 * Consumes a verification token and verifies the address it was sent to, in one statement.
 * A used, expired or unknown token, or one for an address the user has since changed, fails.
 */
export async function verify(deps: AuthDeps, token: string, meta: RequestMeta): Promise<UserRead> {
  const { rows } = await deps.db.execute<{ id: number }>(sql`
    WITH consumed AS (
      UPDATE one_time_tokens SET used_at = now(), updated_at = now()
      WHERE token_hash = ${hashToken(token)} AND purpose = 'verify_email'
        AND used_at IS NULL AND expires_at > now()
      RETURNING user_id, email
    ), verified AS (
      UPDATE users SET is_verified = true, updated_at = now()
      FROM consumed
      WHERE users.id = consumed.user_id AND lower(users.email) = lower(consumed.email)
        AND users.deleted_at IS NULL AND users.is_active
      RETURNING users.id
    ), audited AS (
      INSERT INTO audit_log (user_id, event, ip, user_agent, request_id)
      SELECT id, 'email_verified', ${meta.ip}::inet, ${meta.userAgent}::text, ${meta.requestId}::text FROM verified
    )
    SELECT id FROM verified`);
  const verified = rows[0];
  if (!verified) throw new AppError('VERIFY_USER_BAD_TOKEN');
  const user = await usersService.findById(deps.db, Number(verified.id));
  await usersService.cacheUser(deps, user);
  return usersService.toUserRead(user);
}

/** Sends a reset link when the address belongs to an active account; silent otherwise. */
export async function forgotPassword(deps: AuthDeps, email: string) {
  const user = await usersService.findByEmail(deps.db, email);
  if (!user?.isActive) return;
  await usersService.emailOneTimeToken(deps, user, 'reset_password');
}

/**
 * Consumes a reset token and sets the new password in one statement that also ends every
 * session and invalidates every access token of the account (the version bump).
 */
export async function resetPassword(
  deps: AuthDeps,
  token: string,
  password: string,
  meta: RequestMeta,
) {
  const hashedPassword = await hashPassword(password);
  const { rows } = await deps.db.execute<{
    id: number;
    email: string;
    first_name: string | null;
  }>(sql`
    WITH consumed AS (
      UPDATE one_time_tokens SET used_at = now(), updated_at = now()
      WHERE token_hash = ${hashToken(token)} AND purpose = 'reset_password'
        AND used_at IS NULL AND expires_at > now()
      RETURNING user_id
    ), changed AS (
      UPDATE users SET hashed_password = ${hashedPassword}, token_version = token_version + 1, updated_at = now()
      FROM consumed
      WHERE users.id = consumed.user_id AND users.deleted_at IS NULL AND users.is_active
      RETURNING users.id, users.email, users.first_name
    ), ended AS (
      UPDATE sessions SET revoked_at = now(), updated_at = now()
      FROM changed WHERE sessions.user_id = changed.id AND sessions.revoked_at IS NULL
    ), audited AS (
      INSERT INTO audit_log (user_id, event, ip, user_agent, request_id)
      SELECT id, 'password_reset', ${meta.ip}::inet, ${meta.userAgent}::text, ${meta.requestId}::text FROM changed
    )
    SELECT id, email, first_name FROM changed`);
  const user = rows[0];
  if (!user) throw new AppError('RESET_PASSWORD_BAD_TOKEN');
  await usersService.cacheUser(deps, await usersService.findById(deps.db, Number(user.id)));
  await enqueue(deps, 'send_email', {
    to: user.email,
    template: 'password_changed',
    data: { name: user.first_name ?? undefined },
  });
}
