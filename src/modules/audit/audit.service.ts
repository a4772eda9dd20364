import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { ListQuery } from '../../lib/list-query';
import type { RequestMeta } from '../../lib/request-meta';
import { columnName, type Database } from '../../platform/db/client';
import { type ListSpec, listPage } from '../../platform/db/list';
import { auditLog } from '../../platform/db/schema';

/** Every event the audit log records. */
export const AUDIT_EVENTS = [
  'login_succeeded',
  'login_failed',
  'logout',
  'refresh_token_reused',
  'password_changed',
  'password_reset',
  'email_change_requested',
  'email_change_reported',
  'email_changed',
  'email_verified',
  'session_revoked',
  'user_registered',
  'user_updated_by_admin',
  'user_deleted_by_admin',
  'oauth_linked',
  'oauth_unlinked',
  'role_created',
  'role_deleted',
  'role_granted',
  'role_revoked',
  'permission_granted',
  'permission_revoked',
] as const;

type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditEntry {
  event: AuditEvent;
  userId?: number | null;
  actorId?: number | null;
  details?: Record<string, unknown>;
}

/**
 * The insert for one audit event, not yet executed, so callers put it in the same
 * `db.batch` as the change it records: one round trip, and no change without its record.
 *
 * @example
 * await db.batch([db.update(users)…, auditInsert(db, meta, { event: 'logout', userId })]);
 */
export function auditInsert(db: Database, meta: RequestMeta, entry: AuditEntry) {
  return db.insert(auditLog).values({
    event: entry.event,
    userId: entry.userId ?? null,
    actorId: entry.actorId ?? null,
    details: entry.details ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
  });
}

/**
 * The same record as {@link auditInsert}, as a statement to put in a `WITH` of raw SQL: one
 * row per row of `rows.from`, whose user is `rows.userId`. Columns come from the table, so a
 * renamed column cannot silently break it.
 *
 * @example
 * sql`WITH changed AS (UPDATE users … RETURNING id), audited AS (${auditFrom(meta, 'password_reset', { userId: sql`id`, from: sql`changed` })}) SELECT …`;
 */
export function auditFrom(
  meta: RequestMeta,
  event: AuditEvent,
  rows: { userId: SQL; from: SQL; details?: SQL },
): SQL {
  const {
    userId,
    event: eventColumn,
    ip,
    userAgent,
    requestId,
    details,
  } = getTableColumns(auditLog);
  const columns = sql.join(
    [userId, eventColumn, ip, userAgent, requestId, details].map(columnName),
    sql`, `,
  );
  return sql`INSERT INTO ${auditLog} (${columns})
    SELECT ${rows.userId}, ${event}::text, ${meta.ip}::inet, ${meta.userAgent}::text,
           ${meta.requestId}::text, ${rows.details ?? sql`NULL`}::jsonb
    FROM ${rows.from}`;
}

const AUDIT_LIST: ListSpec<typeof auditLog> = {
  name: 'audit',
  table: auditLog,
  id: auditLog.id,
  createdAt: auditLog.createdAt,
  sortable: { created_at: auditLog.createdAt },
  search: [],
};

/** What `GET /audit` filters on, besides the time range of the list query. */
export interface AuditFilters {
  /** Who acted: the admin, or the user themself for events no admin made. */
  actorId?: number | undefined;
  /** The account the event is about. */
  userId?: number | undefined;
  event?: AuditEvent | undefined;
}

/**
 * A page of audit events matching `filters` and the list query (offset or cursor paging,
 * `created_after` / `created_before`), newest first by default, in one round trip.
 */
export async function listEvents(
  deps: { db: Database; secret: string },
  filters: AuditFilters,
  query: ListQuery,
) {
  const where = and(
    filters.actorId === undefined
      ? undefined
      : sql`coalesce(${auditLog.actorId}, ${auditLog.userId}) = ${filters.actorId}`,
    filters.userId === undefined ? undefined : eq(auditLog.userId, filters.userId),
    filters.event === undefined ? undefined : eq(auditLog.event, filters.event),
  );
  const page = await listPage(deps.db, AUDIT_LIST, where, query, deps.secret);
  return {
    ...page,
    items: page.items.map((row) => ({
      id: row.id,
      event: row.event,
      user_id: row.userId,
      actor_id: row.actorId,
      ip: row.ip,
      user_agent: row.userAgent,
      request_id: row.requestId,
      details: row.details,
      created_at: row.createdAt.toISOString(),
    })),
  };
}
