import { and, eq, gt, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Settings } from '../../env';
import type { Logger } from '../../lib/logger';
import type { Database } from '../../platform/db/client';
import { oneTimeTokens, sessions, users } from '../../platform/db/schema';
import { MailError, sendMail } from '../../platform/mail';
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

const task = <S extends z.ZodType>(definition: Task<S>): Task<S> => definition;

/** Housekeeping tasks take no input. */
const noPayload = z.object({}).strict().default({});

const daysAgo = (days: number) => sql`now() - make_interval(days => ${days}::int)`;

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

/** Hard-deletes users soft-deleted more than `SOFT_DELETE_RETENTION_DAYS` ago (their rows cascade). */
async function purgeSoftDeleted({ db, settings, logger }: JobDeps) {
  const purged = await db
    .delete(users)
    .where(lt(users.deletedAt, daysAgo(settings.SOFT_DELETE_RETENTION_DAYS)));
  logger.info('soft-deleted users purged', { users: purged.rowCount });
}

/**
 * Every task QStash can deliver to `POST /jobs/{task}`, by name. Add one here and it can be
 * enqueued (`enqueue(deps, 'name', payload)`, typed by its schema) and scheduled from cron.
 */
export const TASKS = {
  send_email: task({ payload: sendEmailPayload, retries: 5, handler: sendEmail }),
  cleanup_expired_tokens: task({ payload: noPayload, retries: 3, handler: cleanupExpiredTokens }),
  purge_soft_deleted: task({ payload: noPayload, retries: 3, handler: purgeSoftDeleted }),
};

export type TaskName = keyof typeof TASKS;

/** What `enqueue` accepts for a task: its schema's input (defaults may be left out). */
export type TaskPayload<N extends TaskName> = z.input<(typeof TASKS)[N]['payload']>;

/** Whether `name` is a registered task (a URL segment can be anything). */
export function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(TASKS, name);
}
