import {
  daysAgo,
  defineTasks,
  type JobDeps,
  noPayload,
  type TasksOf,
  task,
} from '../jobs/jobs.tasks';
import { purgeDeletedItems } from './items.service';

// #region tasks
/** Hard-deletes items soft-deleted more than `SOFT_DELETE_RETENTION_DAYS` ago. */
async function purgeDeleted({ db, settings, logger }: JobDeps) {
  const purged = await purgeDeletedItems(db, daysAgo(settings.SOFT_DELETE_RETENTION_DAYS));
  logger.info('soft-deleted items purged', { items: purged });
}

export const itemsTasks = defineTasks({
  purge_deleted_items: task({ payload: noPayload, retries: 3, handler: purgeDeleted }),
});

declare module '../jobs/jobs.tasks' {
  interface TaskRegistry extends TasksOf<typeof itemsTasks> {}
}
// #endregion tasks
