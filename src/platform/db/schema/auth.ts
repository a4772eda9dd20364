import { index, inet, integer, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';
import { users } from './users';

/** One row per refresh token; rotation links a row to its successor within a family. */
export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid().notNull(),
    tokenHash: text().notNull().unique('sessions_token_hash_key'),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    replacedBy: integer(),
    userAgent: text(),
    ip: inet(),
    ...timestamps,
  },
  (table) => [
    index('sessions_user_id_idx').on(table.userId),
    index('sessions_family_id_idx').on(table.familyId),
    index('sessions_expires_at_idx').on(table.expiresAt),
  ],
);

/** Single-use tokens sent by e-mail (verification, e-mail change, reset): only their SHA-256 is stored. */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: id(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text({
      enum: ['verify_email', 'change_email', 'reset_password', 'report_email_change'],
    }).notNull(),
    tokenHash: text().notNull().unique('one_time_tokens_token_hash_key'),
    /** The address the token was sent to; for `change_email`, the new address it confirms. */
    email: varchar({ length: 320 }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    index('one_time_tokens_user_id_idx').on(table.userId),
    index('one_time_tokens_expires_at_idx').on(table.expiresAt),
  ],
);
