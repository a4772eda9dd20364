import {
  daysAgo,
  defineTasks,
  type JobDeps,
  noPayload,
  type TasksOf,
  task,
} from '../jobs/jobs.tasks';
import { purgeDeletedPosts } from './posts.service';

/** Hard-deletes posts soft-deleted more than `SOFT_DELETE_RETENTION_DAYS` ago. */
async function purgeDeleted({ db, settings, logger }: JobDeps) {
  const purged = await purgeDeletedPosts(db, daysAgo(settings.SOFT_DELETE_RETENTION_DAYS));
  logger.info('soft-deleted posts purged', { posts: purged });
}

export const postsTasks = defineTasks({
  purge_deleted_posts: task({ payload: noPayload, retries: 3, handler: purgeDeleted }),
});

declare module '../jobs/jobs.tasks' {
  interface TaskRegistry extends TasksOf<typeof postsTasks> {}
}
