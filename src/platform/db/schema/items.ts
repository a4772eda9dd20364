import { index, integer, pgTable, text, varchar } from 'drizzle-orm/pg-core';
import { id, softDelete, timestamps, versioned } from './columns';
import { users } from './users';

// #region table
/** The example resource: owned by the user who created it, soft-deleted, versioned for ETags. */
export const items = pgTable(
  'items',
  {
    id: id(),
    title: varchar({ length: 255 }).notNull(),
    description: text(),
    ownerId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    ...versioned,
    ...timestamps,
    ...softDelete,
  },
  (table) => [
    // Lists filter by owner and walk (sort key, id) pairs: one index per sortable field.
    index('items_owner_id_created_at_idx').on(table.ownerId, table.createdAt, table.id),
    index('items_owner_id_updated_at_idx').on(table.ownerId, table.updatedAt, table.id),
    index('items_owner_id_title_idx').on(table.ownerId, table.title, table.id),
    index('items_created_at_idx').on(table.createdAt, table.id),
    index('items_deleted_at_idx').on(table.deletedAt),
  ],
);
// #endregion table
