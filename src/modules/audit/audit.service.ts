import type { RequestMeta } from '../../lib/request-meta';
import type { Database } from '../../platform/db/client';
import { auditLog } from '../../platform/db/schema';

type AuditEvent =
  | 'login_succeeded'
  | 'login_failed'
  | 'logout'
  | 'refresh_token_reused'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'email_verified'
  | 'session_revoked'
  | 'user_registered'
  | 'user_updated_by_admin'
  | 'user_deleted_by_admin'
  | 'role_created'
  | 'role_deleted'
  | 'role_granted'
  | 'role_revoked'
  | 'permission_granted'
  | 'permission_revoked';

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
