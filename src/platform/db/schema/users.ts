import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
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
