import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Logger } from '../../lib/logger';
import type { Database } from '../../platform/db/client';
import { MailError, sendMail } from '../../platform/mail';
import type { Settings } from '../../settings';
import { renderMail, type SendEmailPayload, sendEmailPayload } from './jobs.mail-templates';

/** What task handlers receive: the same clients a request has. */
export interface JobDeps {
  db: Database;
  settings: Settings;
  logger: Logger;
}

/** About the delivery being handled. */
export interface TaskMeta {
  /** QStash's message id: the same on every retry of one message. */
  messageId: string;
  /** How many times QStash already tried this message (`Upstash-Retried`). */
  retried: number;
}

/**
 * A task: its payload schema, its handler, and how many times QStash retries it after the
 * first attempt fails (`Upstash-Retries`). Handlers must tolerate running again after a crash:
 * deliveries are deduplicated, not exactly-once.
 */
export interface Task<S extends z.ZodType> {
  payload: S;
  retries: number;
  handler(deps: JobDeps, payload: z.output<S>, meta: TaskMeta): Promise<void>;
}

/**
 * Thrown by a handler when trying again cannot help (a provider refusing the address): the
 * webhook answers 489 with `Upstash-NonRetryable-Error: true`, and QStash moves the message
 * straight to the DLQ instead of retrying it.
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

/** A task, typed by its payload schema. */
export const task = <S extends z.ZodType>(definition: Task<S>): Task<S> => definition;

/** The payload of a task that takes no input (housekeeping). */
export const noPayload = z.object({}).strict().default({});

/** `now()` minus `days` days, for retention cut-offs. */
export const daysAgo = (days: number) => sql`now() - make_interval(days => ${days}::int)`;

async function sendEmail(deps: JobDeps, payload: SendEmailPayload, meta: TaskMeta) {
  const mail = renderMail(payload, deps.settings.PROJECT_NAME);
  try {
    await sendMail(deps, { to: payload.to, ...mail, idempotencyKey: meta.messageId });
  } catch (error) {
    if (error instanceof MailError && !error.retryable) {
      throw new NonRetryableError(error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * Every task QStash can deliver to `POST /jobs/{task}`, by name: each module's tasks, merged in
 * by declaration like the error codes (`declare module '…/jobs/jobs.tasks' { interface
 * TaskRegistry extends TasksOf<typeof myTasks> {} }`), so `enqueue(deps, 'name', payload)` is
 * typed by the task's schema.
 *
 * @public
 */
export interface TaskRegistry extends TasksOf<typeof jobsTasks> {}

export type TaskName = keyof TaskRegistry & string;

/** The {@link TaskRegistry} entries of a {@link defineTasks} result. */
export type TasksOf<T extends Record<string, Task<z.ZodType>>> = { [K in keyof T]: T[K] };

/** What `enqueue` accepts for a task: its schema's input (defaults may be left out). */
export type TaskPayload<N extends TaskName> =
  TaskRegistry[N] extends Task<infer S> ? z.input<S> : never;

const registry = new Map<string, Task<z.ZodType>>();

/**
 * Declares a module's queued tasks and registers them under their names. A name may be
 * declared once.
 *
 * @example
 * export const usersTasks = defineTasks({
 *   purge_soft_deleted: task({ payload: noPayload, retries: 3, handler: purgeSoftDeleted }),
 * });
 */
export function defineTasks<const T extends Record<string, Task<z.ZodType>>>(tasks: T): T {
  for (const [name, definition] of Object.entries(tasks)) {
    if (registry.has(name)) throw new TypeError(`Task ${name} is declared twice`);
    registry.set(name, definition);
  }
  return tasks;
}

/** The registered task called `name` (a URL segment can be anything), or undefined. */
export function findTask(name: string): Task<z.ZodType> | undefined {
  return registry.get(name);
}

export const jobsTasks = defineTasks({
  send_email: task({ payload: sendEmailPayload, retries: 5, handler: sendEmail }),
});
