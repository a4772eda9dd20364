import { QstashError } from '@upstash/qstash';
import type { ZodError } from 'zod';
import { AppError } from '../../lib/errors';
import { getQStash } from '../../platform/qstash';
import type { Redis } from '../../platform/redis';
import type { Settings } from '../../settings';
import {
  findTask,
  type JobDeps,
  type TaskMeta,
  type TaskName,
  type TaskPayload,
} from './jobs.tasks';

export { NonRetryableError, type TaskName, type TaskPayload } from './jobs.tasks';

/** How long a delivery holds its message before another attempt may run it (a crash's cost). */
const CLAIM_SECONDS = 120;
/** How long a finished message id is remembered: longer than QStash keeps retrying (~days). */
const DONE_SECONDS = 7 * 24 * 60 * 60;

const messageKey = (messageId: string) => `jobs:message:${messageId}`;
const signatureKey = (id: string) => `jobs:signature:${id}`;
/** Longer than a QStash signature's five minutes of validity, so a replay always finds its mark. */
const SIGNATURE_SECONDS = 10 * 60;

/** `PUBLIC_BASE_URL` + `path`: the exact URL QStash calls, and signs as the JWT's subject. */
export function publicUrl(settings: Settings, path: string): string {
  return `${settings.PUBLIC_BASE_URL.replace(/\/$/, '')}${path}`;
}

/** Where QStash delivers a task: `{PUBLIC_BASE_URL}{API_V1_PREFIX}/jobs/{task}`. */
function taskUrl(settings: Settings, task: TaskName): string {
  return publicUrl(settings, `${settings.API_V1_PREFIX}/jobs/${task}`);
}

export interface EnqueueOptions {
  /** Seconds to wait before the first delivery. */
  delaySeconds?: number;
  /** QStash drops a second message with the same id (e.g. one cron tick enqueued twice). */
  deduplicationId?: string;
  /** Retries for this message instead of the task's own policy. */
  retries?: number;
}

/**
 * Publishes a task to QStash, which delivers it to `POST /jobs/{task}` with the task's retry
 * policy. The payload is checked against the task's schema here, so a malformed one fails in
 * the request that made it rather than in the DLQ. With QStash out of reach it throws 503
 * `SERVICE_UNAVAILABLE` (with `Retry-After`); see {@link isQueueUnavailable}.
 *
 * @returns the QStash message id.
 * @example
 * await enqueue(deps, 'send_email', { to, template: 'verify_email', data: { link } });
 */
export async function enqueue<N extends TaskName>(
  deps: { settings: Settings },
  task: N,
  payload: TaskPayload<N>,
  options: EnqueueOptions = {},
): Promise<string> {
  const definition = findTask(task);
  if (!definition) throw new TypeError(`Task ${task} is not registered: is its module in the app?`);
  const body: unknown = definition.payload.parse(payload);
  try {
    const published = await getQStash(deps.settings).publishJSON({
      url: taskUrl(deps.settings, task),
      body,
      retries: options.retries ?? definition.retries,
      ...(options.delaySeconds !== undefined && { delay: options.delaySeconds }),
      ...(options.deduplicationId !== undefined && { deduplicationId: options.deduplicationId }),
    });
    return published.messageId;
  } catch (error) {
    // QStash refusing the message (4xx but 429) is a bug of ours; anything else is an outage.
    const refused = error instanceof QstashError && error.status !== undefined;
    if (refused && error.status !== 429 && (error.status ?? 0) < 500) throw error;
    throw new AppError('SERVICE_UNAVAILABLE', {
      detail: QUEUE_UNAVAILABLE,
      headers: { 'Retry-After': '5' },
      cause: error,
    });
  }
}

const QUEUE_UNAVAILABLE = 'The job queue is unreachable; try again later';

/**
 * Whether `error` is {@link enqueue} failing because QStash is out of reach (after the
 * client's own retries): the message was not queued.
 */
export function isQueueUnavailable(error: unknown): boolean {
  return error instanceof AppError && error.detail === QUEUE_UNAVAILABLE;
}

/** A verified delivery, as the webhook read it. */
export interface Delivery extends TaskMeta {
  task: string;
  /** The id of the signed request (its JWT's `jti`), from `signatureId`. */
  signatureId: string;
  /** The raw body (JSON of the payload). */
  body: string;
}

/** What became of a delivery; the handler maps each outcome to a status QStash understands. */
export type DeliveryOutcome =
  | { outcome: 'done' | 'duplicate' | 'in_progress' | 'unknown_task' }
  | { outcome: 'invalid_payload'; error: ZodError | SyntaxError };

/**
 * Runs a delivered task once per message id. QStash delivers at least once, so:
 *
 * 1. the payload is validated first: an invalid one is never claimed or run;
 *    then the signed request itself is marked seen: `Upstash-Message-Id` is not covered by the
 *    signature, so a captured delivery replayed under another message id must still not run;
 * 2. `SET jobs:message:<id> running NX EX 120` claims the message; if it is taken, the message
 *    is `done` (a redelivery: answered 200, nothing runs) or `running` elsewhere (answered 409
 *    so QStash tries again later);
 * 3. the handler runs; if it throws, the claim is deleted so QStash's retry can run it;
 * 4. after success the key becomes `done` for {@link DONE_SECONDS}.
 *
 * The crash window: a Worker that dies after the side effect but before step 4 leaves a claim
 * that expires after {@link CLAIM_SECONDS}, and the retry runs the task again. Tasks are
 * therefore written to be safe to repeat: deletes are idempotent, and e-mails carry the
 * message id as the provider's idempotency key. Marking `done` before running would instead
 * lose the task on a crash, which is worse for mail than a rare duplicate.
 */
export async function runDelivery(
  deps: JobDeps & { redis: Redis },
  delivery: Delivery,
): Promise<DeliveryOutcome> {
  const definition = findTask(delivery.task);
  if (!definition) return { outcome: 'unknown_task' };
  let json: unknown;
  try {
    json = JSON.parse(delivery.body);
  } catch (error) {
    return { outcome: 'invalid_payload', error: error as SyntaxError };
  }
  const parsed = definition.payload.safeParse(json);
  if (!parsed.success) return { outcome: 'invalid_payload', error: parsed.error };

  const firstSight = await deps.redis.set(signatureKey(delivery.signatureId), 1, {
    nx: true,
    ex: SIGNATURE_SECONDS,
  });
  if (firstSight === null) return { outcome: 'duplicate' };

  const key = messageKey(delivery.messageId);
  const claimed = await deps.redis.set(key, 'running', { nx: true, ex: CLAIM_SECONDS });
  if (claimed === null) {
    const state = await deps.redis.get<string>(key);
    return { outcome: state === 'done' ? 'duplicate' : 'in_progress' };
  }
  const meta = { messageId: delivery.messageId, retried: delivery.retried };
  try {
    await definition.handler(deps, parsed.data, meta);
  } catch (error) {
    await deps.redis.del(key).catch(() => undefined);
    throw error;
  }
  try {
    await deps.redis.set(key, 'done', { ex: DONE_SECONDS });
  } catch (error) {
    // The work is done: answering 200 stops QStash; the claim still blocks redeliveries a while.
    deps.logger.warn('could not mark job done', { task: delivery.task, error: String(error) });
  }
  return { outcome: 'done' };
}
