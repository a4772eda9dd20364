import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { id, softDelete, timestamps } from './columns';

export const users = pgTable(
  'users',
  {
    id: id(),
    email: varchar({ length: 320 }).notNull(),
    /** Null for accounts that only ever signed in with a social provider. */
    hashedPassword: text(),
    isActive: boolean().notNull().default(true),
    isSuperuser: boolean().notNull().default(false),
    isVerified: boolean().notNull().default(false),
    firstName: varchar({ length: 50 }),
    lastName: varchar({ length: 50 }),
    phone: varchar({ length: 20 }),
    avatarUrl: varchar({ length: 255 }),
    /** Bumped to invalidate every access token at once (logout-all, password change, deactivation). */
    tokenVersion: integer().notNull().default(0),
    lastLogin: timestamp({ withTimezone: true }),
    ...timestamps,
    ...softDelete,
  },
  (table) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${table.email})`),
    index('users_created_at_idx').on(table.createdAt),
  ],
);

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

export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    /** The account the event is about. */
    userId: integer().references(() => users.id, { onDelete: 'set null' }),
    /** Who did it, when not the user themself (an admin). */
    actorId: integer().references(() => users.id, { onDelete: 'set null' }),
    event: text().notNull(),
    ip: inet(),
    userAgent: text(),
    requestId: text(),
    details: jsonb().$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (table) => [
    index('audit_log_user_id_idx').on(table.userId),
    index('audit_log_actor_id_idx').on(table.actorId),
    index('audit_log_event_created_at_idx').on(table.event, table.createdAt),
  ],
);
