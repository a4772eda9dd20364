import { boolean, index, integer, pgTable, text, varchar } from 'drizzle-orm/pg-core';
import { id, softDelete, timestamps, versioned } from './columns';
import { users } from './users';

/** Posts: written by an author, read by everyone once published, soft-deleted, versioned for ETags. */
export const posts = pgTable(
  'posts',
  {
    id: id(),
    title: varchar({ length: 255 }).notNull(),
    content: text().notNull(),
    published: boolean().notNull().default(false),
    authorId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    ...versioned,
    ...timestamps,
    ...softDelete,
  },
  (table) => [
    // Readers list published posts, editors all of them, each walking (sort key, id) pairs.
    index('posts_published_created_at_idx').on(table.published, table.createdAt, table.id),
    index('posts_published_updated_at_idx').on(table.published, table.updatedAt, table.id),
    index('posts_published_title_idx').on(table.published, table.title, table.id),
    index('posts_created_at_idx').on(table.createdAt, table.id),
    index('posts_author_id_idx').on(table.authorId),
    index('posts_deleted_at_idx').on(table.deletedAt),
  ],
);
