import { and, eq, gt, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { oneTimeTokens, sessions } from '../../platform/db/schema';
import {
  daysAgo,
  defineTasks,
  type JobDeps,
  noPayload,
  type TasksOf,
  task,
} from '../jobs/jobs.tasks';

/**
 * Deletes one-time tokens and sessions that expired, were used or were revoked more than
 * `TOKEN_RETENTION_DAYS` ago, in one transaction. A revoked session stays while its family has
 * a live member: presenting it again is how the reuse of a stolen refresh token is detected.
 */
async function cleanupExpiredTokens({ db, settings, logger }: JobDeps) {
  const before = daysAgo(settings.TOKEN_RETENTION_DAYS);
  const member = alias(sessions, 'member');
  const liveMember = db
    .select({ id: member.id })
    .from(member)
    .where(
      and(
        eq(member.familyId, sessions.familyId),
        isNull(member.revokedAt),
        gt(member.expiresAt, sql`now()`),
      ),
    );
  const [tokens, ended] = await db.batch([
    db
      .delete(oneTimeTokens)
      .where(or(lt(oneTimeTokens.expiresAt, before), lt(oneTimeTokens.usedAt, before))),
    db
      .delete(sessions)
      .where(
        or(
          lt(sessions.expiresAt, before),
          and(lt(sessions.revokedAt, before), notExists(liveMember)),
        ),
      ),
  ]);
  logger.info('expired tokens cleaned up', {
    one_time_tokens: tokens.rowCount,
    sessions: ended.rowCount,
  });
}

export const authTasks = defineTasks({
  cleanup_expired_tokens: task({ payload: noPayload, retries: 3, handler: cleanupExpiredTokens }),
});

declare module '../jobs/jobs.tasks' {
  interface TaskRegistry extends TasksOf<typeof authTasks> {}
}
