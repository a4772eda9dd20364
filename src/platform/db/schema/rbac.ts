import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';

/** A Casbin field: empty rather than null, so the unique index makes a duplicate rule a no-op. */
const field = () => text().notNull().default('');

/**
 * Casbin policy rules, one per row: `p, <role>, <resource>, <action>` grants a permission,
 * `g, user:<id>, <role>` gives a user a role (`g, <role>, <role>` nests roles).
 */
export const casbinRule = pgTable(
  'casbin_rule',
  {
    id: id(),
    ptype: text().notNull(),
    v0: field(),
    v1: field(),
    v2: field(),
    v3: field(),
    v4: field(),
    v5: field(),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('casbin_rule_key').on(
      table.ptype,
      table.v0,
      table.v1,
      table.v2,
      table.v3,
      table.v4,
      table.v5,
    ),
    // Who holds a role (the last-admin check, deleting a role).
    index('casbin_rule_ptype_v1_idx').on(table.ptype, table.v1),
  ],
);
