import { index, inet, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';
import { users } from './users';

/** What happened to an account, who did it and from where: one row per event. */
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
