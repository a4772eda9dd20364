import { createLogger } from '../../lib/logger';
import { getSettings } from '../../settings';
import type { Module } from '../module';
import { enqueue } from './jobs.service';
import type { TaskName } from './jobs.tasks';

/**
 * The cron table of `modules`: each expression with the tasks every module enqueues for it. The
 * expressions must be exactly the `[triggers] crons` of `wrangler.toml` (a test checks both ways).
 */
export function cronTable(modules: readonly Module[]): Map<string, TaskName[]> {
  const table = new Map<string, TaskName[]>();
  for (const module of modules) {
    for (const [cron, tasks] of Object.entries(module.crons ?? {})) {
      table.set(cron, [...(table.get(cron) ?? []), ...tasks]);
    }
  }
  return table;
}

/**
 * The Worker's `scheduled()` handler for `modules`: enqueues the tasks of the cron that fired,
 * so they run through QStash with its retries and DLQ like any task. The deduplication id
 * (task and scheduled time) makes a trigger that fires twice enqueue once.
 *
 * @example
 * export default { fetch, scheduled: scheduledHandler(MODULES) } satisfies ExportedHandler<Env>;
 */
export function scheduledHandler(modules: readonly Module[]) {
  const table = cronTable(modules);
  return async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const tasks = table.get(controller.cron);
    if (!tasks) {
      throw new Error(
        `No tasks for cron "${controller.cron}": add it to a module's \`crons\` (defineModule)`,
      );
    }
    const settings = getSettings(env);
    const logger = createLogger(settings, { cron: controller.cron });
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
  };
}
