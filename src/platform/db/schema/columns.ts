import { integer, timestamp } from 'drizzle-orm/pg-core';

/** `created_at` / `updated_at`, both timestamptz set by the database; spread into every table. */
export const timestamps = {
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};

/** `deleted_at`: set instead of deleting the row; purged after retention by a cron job. */
export const softDelete = {
  deletedAt: timestamp({ withTimezone: true }),
};

/** An integer identity primary key, as FastAPI/SQLAlchemy schemas usually have. */
export const id = () => integer().primaryKey().generatedAlwaysAsIdentity();

/**
 * `version`: starts at 1 and every write adds 1 in the same statement. It is the resource's
 * ETag, so `If-Match` is checked in the write's own `WHERE` (timestamps lose precision in JS).
 */
export const versioned = {
  version: integer().notNull().default(1),
};
