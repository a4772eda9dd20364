import { getSettings } from '../../env';
import { createLogger } from '../../lib/logger';
import { enqueue } from './jobs.service';

type Housekeeping = 'cleanup_expired_tokens' | 'purge_soft_deleted';

/**
 * What each cron trigger of `wrangler.toml` (`[triggers] crons`) enqueues. The two lists must
 * match: a cron without an entry here fails loudly, and a test checks both ways.
 */
export const CRON_TASKS: Readonly<Record<string, readonly Housekeeping[]>> = {
  // Hourly.
  '0 * * * *': ['cleanup_expired_tokens'],
  // Daily at 03:30 UTC.
  '30 3 * * *': ['purge_soft_deleted'],
};

/**
 * The Worker's `scheduled()` handler: enqueues the housekeeping tasks of the cron that fired,
 * so they run through QStash with its retries and DLQ like any task. The deduplication id
 * (task and scheduled time) makes a trigger that fires twice enqueue once.
 *
 * @example
 * export default { fetch, scheduled: runScheduled } satisfies ExportedHandler<Env>;
 */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const tasks = CRON_TASKS[controller.cron];
  if (!tasks) {
    throw new Error(`No tasks for cron "${controller.cron}": add it to CRON_TASKS (jobs.cron.ts)`);
  }
  const settings = getSettings(env);
  const logger = createLogger(settings.LOG_LEVEL, { cron: controller.cron });
  const messageIds = await Promise.all(
    tasks.map((task) =>
      enqueue(
        { settings },
        task,
        {},
        { deduplicationId: `cron-${task}-${controller.scheduledTime}` },
      ),
    ),
  );
  logger.info('cron enqueued', { tasks, message_ids: messageIds });
}
