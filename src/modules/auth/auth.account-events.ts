import { type SQL, sql } from 'drizzle-orm';
import type { Logger } from '../../lib/logger';
import { columnName } from '../../platform/db/client';
import { sessions } from '../../platform/db/schema';
import type { Settings } from '../../settings';
import { enqueue, isQueueUnavailable } from '../jobs/jobs.service';

// What follows the events that must end an account's sessions (a password change or reset,
// deactivation, deletion, a reported e-mail change), written once for every path that has one.

/**
 * The statement that ends every live session (refresh-token family) of the users `userIds`
 * (a value or a subquery). Their access tokens die with the `token_version` bump that the
 * same change makes. Put it in the batch or `WITH` of that change.
 *
 * @example
 * await db.batch([db.update(users).set({ tokenVersion: … }), db.execute(revokeAllSessions(sql`${id}`))]);
 */
export function revokeAllSessions(userIds: SQL): SQL {
  const { revokedAt, updatedAt, userId } = sessions;
  return sql`UPDATE ${sessions}
    SET ${columnName(revokedAt)} = now(), ${columnName(updatedAt)} = now()
    WHERE ${userId} IN (${userIds}) AND ${revokedAt} IS NULL`;
}

// #region enqueue
/**
 * Tells the account's address that its password changed and every session ended. The change
 * is saved before this runs, so a job queue that is down does not fail the request (its answer
 * would deny a change that happened): the notice is lost, and the outage logged.
 */
export async function notifyPasswordChanged(
  deps: { settings: Settings; logger: Logger },
  user: { email: string; firstName: string | null },
) {
  try {
    await enqueue(deps, 'send_email', {
      to: user.email,
      template: 'password_changed',
      data: { name: user.firstName ?? undefined },
    });
  } catch (error) {
    if (!isQueueUnavailable(error)) throw error;
    deps.logger.error('password-changed notice not queued: the job queue is unreachable');
  }
}
// #endregion enqueue
