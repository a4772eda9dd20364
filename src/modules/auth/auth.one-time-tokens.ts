import { type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { generateToken, hashToken } from '../../platform/crypto/tokens';
import { columnName, type Database } from '../../platform/db/client';
import { oneTimeTokens } from '../../platform/db/schema';
import { frontendUrl, type Settings } from '../../settings';
import { enqueue } from '../jobs/jobs.service';

// One-time tokens: single-use links sent by e-mail. Only their SHA-256 is stored; each is
// consumed in the statement that acts on it, and the events that make outstanding ones unsafe
// void them in the statement or batch that records the event.

export type TokenPurpose = (typeof oneTimeTokens.purpose.enumValues)[number];

const HOUR_MS = 60 * 60 * 1000;

/** Lifetime and front-end path of each kind; the path's page posts the token back to the API. */
const ONE_TIME_TOKENS = {
  verify_email: { ttlMs: 24 * HOUR_MS, path: 'verify' },
  change_email: { ttlMs: 24 * HOUR_MS, path: 'verify' },
  reset_password: { ttlMs: HOUR_MS, path: 'reset-password' },
  report_email_change: { ttlMs: 7 * 24 * HOUR_MS, path: 'report-email-change' },
} as const satisfies Record<TokenPurpose, { ttlMs: number; path: string }>;

/** The paths the links lead to, under `FRONTEND_URL`: `['/verify', '/reset-password', …]`. */
export const LINK_PATHS = [
  ...new Set(Object.values(ONE_TIME_TOKENS).map(({ path }) => `/${path}`)),
];

/** The outstanding tokens each event voids. */
const VOIDED_BY = {
  // A reset link or a pending address change must not outlive a new password.
  password_changed: ['reset_password', 'change_email'],
  // Links sent to the previous address, and any pending change, die with the address (also
  // when a reported change gives the account its old address back).
  email_changed: ['verify_email', 'reset_password', 'change_email'],
  // One pending change at a time: a new request replaces the previous one.
  email_change_requested: ['change_email'],
} as const satisfies Record<string, readonly TokenPurpose[]>;

export type TokenVoidingEvent = keyof typeof VOIDED_BY;

const purposeList = (purposes: readonly TokenPurpose[]) =>
  sql.join(
    purposes.map((purpose) => sql`${purpose}`),
    sql`, `,
  );

/**
 * The statement that voids every outstanding token `event` makes unsafe, for the users
 * `userIds` (a value or a subquery): put it in the batch or `WITH` of the change itself.
 *
 * @example
 * await db.batch([db.update(users)…, db.execute(voidOutstandingTokens(sql`${id}`, 'password_changed'))]);
 */
export function voidOutstandingTokens(userIds: SQL, event: TokenVoidingEvent): SQL {
  const { usedAt, updatedAt, userId, purpose } = oneTimeTokens;
  return sql`UPDATE ${oneTimeTokens}
    SET ${columnName(usedAt)} = now(), ${columnName(updatedAt)} = now()
    WHERE ${userId} IN (${userIds}) AND ${purpose} IN (${purposeList(VOIDED_BY[event])})
      AND ${usedAt} IS NULL`;
}

/**
 * The statement (for a `WITH`) that consumes the token `token` if it is one of `purposes`,
 * unused and unexpired, returning its `user_id`, `email` and `purpose`.
 */
export function consumeToken(token: string, purposes: readonly TokenPurpose[]): SQL {
  const { usedAt, updatedAt, userId, email, purpose, tokenHash, expiresAt } = oneTimeTokens;
  return sql`UPDATE ${oneTimeTokens}
    SET ${columnName(usedAt)} = now(), ${columnName(updatedAt)} = now()
    WHERE ${tokenHash} = ${hashToken(token)} AND ${purpose} IN (${purposeList(purposes)})
      AND ${usedAt} IS NULL AND ${expiresAt} > now()
    RETURNING ${userId} AS user_id, ${email} AS email, ${purpose} AS purpose`;
}

/**
 * E-mails a single-use token to `recipient.email`: runs `before` and stores the token's hash
 * in one batch, then enqueues the e-mail (template named like the purpose) with the link
 * `{FRONTEND_URL}/{path}?token=…`. The token is bound to the address it was sent to.
 */
export async function emailOneTimeToken(
  deps: { db: Database; settings: Settings },
  recipient: { id: number; email: string; firstName: string | null },
  purpose: TokenPurpose,
  before: BatchItem<'pg'>[] = [],
) {
  const { ttlMs, path } = ONE_TIME_TOKENS[purpose];
  const token = generateToken();
  const insert = deps.db.insert(oneTimeTokens).values({
    userId: recipient.id,
    purpose,
    tokenHash: hashToken(token),
    email: recipient.email,
    expiresAt: new Date(Date.now() + ttlMs),
  });
  const [first, ...rest] = before;
  await deps.db.batch(first ? [first, ...rest, insert] : [insert]);
  const base = frontendUrl(deps.settings).href.replace(/\/$/, '');
  await enqueue(deps, 'send_email', {
    to: recipient.email,
    template: purpose,
    data: {
      link: `${base}/${path}?token=${encodeURIComponent(token)}`,
      name: recipient.firstName ?? undefined,
    },
  });
}
