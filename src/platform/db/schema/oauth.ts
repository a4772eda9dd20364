import { integer, pgTable, text, timestamp, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';
import { users } from './users';

/** The social login providers the API speaks to. */
export const OAUTH_PROVIDERS = ['google', 'github'] as const;

/**
 * A user's link to a social login provider: one per provider and user, and one user per
 * provider account. Provider tokens are kept only when `OAUTH_STORE_TOKENS` asks, encrypted.
 */
export const oauthAccounts = pgTable(
  'oauth_accounts',
  {
    id: id(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text({ enum: OAUTH_PROVIDERS }).notNull(),
    providerAccountId: varchar({ length: 255 }).notNull(),
    /** The address the provider reported at the last sign-in. */
    email: varchar({ length: 320 }).notNull(),
    accessToken: text(),
    refreshToken: text(),
    accessTokenExpiresAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('oauth_accounts_provider_account_key').on(table.provider, table.providerAccountId),
    uniqueIndex('oauth_accounts_user_provider_key').on(table.userId, table.provider),
  ],
);
