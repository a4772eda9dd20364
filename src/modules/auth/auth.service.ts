import { sql } from 'drizzle-orm';
import { AppError } from '../../lib/errors';
import type { RequestMeta } from '../../lib/request-meta';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../platform/crypto/password';
import { users } from '../../platform/db/schema';
import { auditFrom, auditInsert } from '../audit/audit.service';
import { isQueueUnavailable } from '../jobs/jobs.service';
import { defaultRoleInsert } from '../rbac/rbac.service';
import type { UserRead } from '../users/users.schemas';
import * as usersService from '../users/users.service';
import { notifyPasswordChanged, revokeAllSessions } from './auth.account-events';
import { consumeToken, emailOneTimeToken, voidOutstandingTokens } from './auth.one-time-tokens';
import { type AuthDeps, openSession, type TokenPair } from './auth.sessions';

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

/**
 * What follows a registration: the audit record and the verification e-mail (the default role
 * is in the insert's batch). The account exists once its row is inserted, so a job queue that
 * is down does not fail the registration: the user asks for another verification e-mail
 * (`POST /auth/request-verify-token`) and the outage is logged.
 */
async function onRegistered(deps: AuthDeps, user: usersService.UserRow, meta: RequestMeta) {
  try {
    await emailOneTimeToken(deps, user, 'verify_email', [
      auditInsert(deps.db, meta, { event: 'user_registered', userId: user.id }),
    ]);
  } catch (error) {
    if (!isQueueUnavailable(error)) throw error;
    deps.logger.error('verification e-mail not queued: the job queue is unreachable', {
      user_id: user.id,
    });
  }
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

  return openSession(deps, user, 'password', kind, meta, {
    ...(check.needsRehash && { hashedPassword: await hashPassword(credentials.password) }),
  });
}

/** Sends a new verification e-mail when the address belongs to an unverified, active account. */
export async function requestVerification(deps: AuthDeps, email: string) {
  const user = await usersService.findByEmail(deps.db, email);
  if (!user || user.isVerified || !user.isActive) return;
  await emailOneTimeToken(deps, user, 'verify_email');
}

/**
 * Consumes a verification token in one statement. A `verify_email` token verifies the address
 * it was sent to (not one the user has since moved to); a `change_email` token makes its
 * address the account's login, verified, and voids every other outstanding token of the
 * account. A used, expired or unknown token fails.
 */
export async function verify(deps: AuthDeps, token: string, meta: RequestMeta): Promise<UserRead> {
  const { rows } = await usersService.withUniqueEmail(
    deps.db.execute<{ id: number }>(sql`
      WITH consumed AS (${consumeToken(token, ['verify_email', 'change_email'])}),
      verified AS (
        UPDATE users SET is_verified = true, email = consumed.email, updated_at = now()
        FROM consumed
        WHERE users.id = consumed.user_id
          AND (consumed.purpose = 'change_email' OR lower(users.email) = lower(consumed.email))
          AND users.deleted_at IS NULL AND users.is_active
        RETURNING users.id, consumed.purpose, consumed.email
      ),
      changed AS (SELECT id, email FROM verified WHERE purpose = 'change_email'),
      voided AS (${voidOutstandingTokens(sql`SELECT id FROM changed`, 'email_changed')}),
      audited_verified AS (${auditFrom(meta, 'email_verified', {
        userId: sql`id`,
        from: sql`verified WHERE purpose = 'verify_email'`,
      })}),
      audited_changed AS (${auditFrom(meta, 'email_changed', {
        userId: sql`id`,
        details: sql`jsonb_build_object('to', email)`,
        from: sql`changed`,
      })})
      SELECT id FROM verified`),
  );
  const verified = rows[0];
  if (!verified) throw new AppError('VERIFY_USER_BAD_TOKEN');
  const user = await usersService.findById(deps.db, Number(verified.id));
  await usersService.cacheUser(deps, user);
  return usersService.toUserRead(user);
}

/**
 * Consumes the token sent to the old address of an e-mail change, in one statement: the
 * account gets that address back (whether or not the change was confirmed), the pending change
 * and every link sent since die, and every session and access token of the account ends
 * (whoever asked for the change was signed in).
 */
export async function reportEmailChange(deps: AuthDeps, token: string, meta: RequestMeta) {
  const { rows } = await usersService.withUniqueEmail(
    deps.db.execute<{ id: number }>(sql`
      WITH consumed AS (${consumeToken(token, ['report_email_change'])}),
      restored AS (
        UPDATE users SET email = consumed.email, is_verified = true,
          token_version = token_version + 1, updated_at = now()
        FROM consumed
        WHERE users.id = consumed.user_id AND users.deleted_at IS NULL
        RETURNING users.id
      ),
      voided AS (${voidOutstandingTokens(sql`SELECT id FROM restored`, 'email_changed')}),
      ended AS (${revokeAllSessions(sql`SELECT id FROM restored`)}),
      audited AS (${auditFrom(meta, 'email_change_reported', { userId: sql`id`, from: sql`restored` })})
      SELECT id FROM restored`),
  );
  const reported = rows[0];
  if (!reported) throw new AppError('VERIFY_USER_BAD_TOKEN');
  await usersService.cacheUser(deps, await usersService.findById(deps.db, Number(reported.id)));
}

/** Sends a reset link when the address belongs to an active account; silent otherwise. */
export async function forgotPassword(deps: AuthDeps, email: string) {
  const user = await usersService.findByEmail(deps.db, email);
  if (!user?.isActive) return;
  await emailOneTimeToken(deps, user, 'reset_password');
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
    WITH consumed AS (${consumeToken(token, ['reset_password'])}),
    changed AS (
      UPDATE users SET hashed_password = ${hashedPassword}, token_version = token_version + 1, updated_at = now()
      FROM consumed
      WHERE users.id = consumed.user_id AND users.deleted_at IS NULL AND users.is_active
      RETURNING users.id, users.email, users.first_name
    ),
    ended AS (${revokeAllSessions(sql`SELECT id FROM changed`)}),
    voided AS (${voidOutstandingTokens(sql`SELECT id FROM changed`, 'password_changed')}),
    audited AS (${auditFrom(meta, 'password_reset', { userId: sql`id`, from: sql`changed` })})
    SELECT id, email, first_name FROM changed`);
  const user = rows[0];
  if (!user) throw new AppError('RESET_PASSWORD_BAD_TOKEN');
  await usersService.cacheUser(deps, await usersService.findById(deps.db, Number(user.id)));
  await notifyPasswordChanged(deps, { email: user.email, firstName: user.first_name });
}
