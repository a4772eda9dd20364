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
