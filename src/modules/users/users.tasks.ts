import { lt } from 'drizzle-orm';
import { users } from '../../platform/db/schema';
import {
  daysAgo,
  defineTasks,
  type JobDeps,
  noPayload,
  type TasksOf,
  task,
} from '../jobs/jobs.tasks';

/** Hard-deletes users soft-deleted more than `SOFT_DELETE_RETENTION_DAYS` ago (their rows cascade). */
async function purgeSoftDeleted({ db, settings, logger }: JobDeps) {
  const purged = await db
    .delete(users)
    .where(lt(users.deletedAt, daysAgo(settings.SOFT_DELETE_RETENTION_DAYS)));
  logger.info('soft-deleted users purged', { users: purged.rowCount });
}

export const usersTasks = defineTasks({
  purge_soft_deleted: task({ payload: noPayload, retries: 3, handler: purgeSoftDeleted }),
});

declare module '../jobs/jobs.tasks' {
  interface TaskRegistry extends TasksOf<typeof usersTasks> {}
}
