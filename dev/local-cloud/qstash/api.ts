import type { Context } from 'hono';
import { Hono } from 'hono';
import type { Broker } from './broker';
import type { QStashPlan } from './publish-request';
import { destinationFrom, draftFromRequest, PublishError, parseDuration } from './publish-request';
import type { Scheduler } from './scheduler';
import { scheduleView } from './scheduler';
import type { DlqEntry, MessageDraft } from './types';
import { dlqView, messageView } from './views';

export interface QStashApiOptions {
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  broker: Broker;
  scheduler: Scheduler;
  plan: QStashPlan;
}

interface BatchEntry {
  destination: string;
  headers?: Record<string, string>;
  body?: string;
  queue?: string;
}

/**
 * The QStash v2 REST API, as `@upstash/qstash`'s `Client` calls it: publish, enqueue, batch,
 * messages, schedules, DLQ and signing keys, behind the bearer token. Errors answer
 * `{ error }` like QStash, which the client turns into a `QstashError`.
 */
export function qstashApi(options: QStashApiOptions): Hono {
  const { broker, scheduler } = options;
  const app = new Hono();

  app.use('/v2/*', async (c, next) => {
    if (c.req.header('Authorization') !== `Bearer ${options.token}`) {
      return c.json({ error: 'Unauthorized: invalid or missing QStash token' }, 401);
    }
    await next();
  });

  app.onError((error, c) => {
    if (error instanceof PublishError) return c.json({ error: error.message }, error.status);
    if (error instanceof SyntaxError) return c.json({ error: error.message }, 400);
    return c.json({ error: `local QStash failed: ${error.message}` }, 500);
  });

  app.get('/v2/keys', (c) =>
    c.json({ current: options.currentSigningKey, next: options.nextSigningKey }),
  );

  app.post('/v2/publish/*', async (c) => {
    const destination = destinationFrom(rawPath(c), '/v2/publish/');
    return published(
      c,
      broker,
      draftFromRequest(destination, c.req.raw.headers, await bytes(c), options.plan),
    );
  });

  app.post('/v2/enqueue/:queue/*', async (c) => {
    const queueName = c.req.param('queue');
    const destination = destinationFrom(rawPath(c), `/v2/enqueue/${queueName}/`);
    const draft = draftFromRequest(destination, c.req.raw.headers, await bytes(c), options.plan);
    return published(c, broker, { ...draft, queueName });
  });

  app.post('/v2/batch', async (c) => {
    const entries = await c.req.json<BatchEntry[]>();
    if (!Array.isArray(entries)) throw new PublishError('the batch body must be a JSON array');
    const drafts = entries.map((entry) => {
      if (typeof entry?.destination !== 'string') {
        throw new PublishError('each batch message needs a destination');
      }
      const destination = destinationFrom(entry.destination, '');
      const body = new TextEncoder().encode(entry.body ?? '');
      const draft = draftFromRequest(destination, new Headers(entry.headers), body, options.plan);
      return entry.queue === undefined ? draft : { ...draft, queueName: entry.queue };
    });
    return c.json(
      drafts.map((draft) => ({ ...publishResponse(broker, draft), url: draft.url })),
      201,
    );
  });

  app.get('/v2/messages/:messageId', (c) => {
    const message = broker.pendingMessage(c.req.param('messageId'));
    return message ? c.json(messageView(message)) : c.json({ error: 'message not found' }, 404);
  });

  app.delete('/v2/messages/:messageId', (c) => {
    const cancelled = broker.cancel([c.req.param('messageId')]);
    return cancelled ? c.json({ cancelled }) : c.json({ error: 'message not found' }, 404);
  });

  app.delete('/v2/messages', (c) => {
    const query = new URL(c.req.url).searchParams;
    const ids = broker
      .messages()
      .filter((m) =>
        matchesFilters(query, 'messageIds', m.messageId, {
          url: m.url,
          queueName: m.queueName,
          scheduleId: m.scheduleId,
          label: m.label,
        }),
      )
      .map((m) => m.messageId);
    return c.json({ cancelled: broker.cancel(ids) });
  });

  app.on(['PATCH', 'POST'], '/v2/schedules/:scheduleId/:action{pause|resume}', (c) => {
    const paused = c.req.param('action') === 'pause';
    return scheduler.setPaused(c.req.param('scheduleId'), paused)
      ? c.body(null, 200)
      : c.json({ error: 'schedule not found' }, 404);
  });

  app.post('/v2/schedules/*', async (c) => {
    const headers = c.req.raw.headers;
    const cron = headers.get('Upstash-Cron');
    if (!cron) throw new PublishError('Upstash-Cron header is required to create a schedule');
    const destination = destinationFrom(rawPath(c), '/v2/schedules/');
    const delay = headers.get('Upstash-Delay');
    const template = draftFromRequest(destination, headers, await bytes(c), options.plan);
    const scheduleId = scheduler.create({
      scheduleId: headers.get('Upstash-Schedule-Id') ?? undefined,
      cron,
      template: { ...template, queueName: headers.get('Upstash-Queue-Name') ?? undefined },
      delayMs: delay === null ? 0 : parseDuration(delay),
    });
    return c.json({ scheduleId }, 201);
  });

  app.get('/v2/schedules', (c) => c.json(scheduler.list().map(scheduleView)));

  app.get('/v2/schedules/:scheduleId', (c) => {
    const schedule = scheduler.get(c.req.param('scheduleId'));
    return schedule ? c.json(scheduleView(schedule)) : c.json({ error: 'schedule not found' }, 404);
  });

  app.delete('/v2/schedules/:scheduleId', (c) =>
    scheduler.remove(c.req.param('scheduleId'))
      ? c.body(null, 200)
      : c.json({ error: 'schedule not found' }, 404),
  );

  app.get('/v2/dlq', (c) => {
    const query = new URL(c.req.url).searchParams;
    const entries = selectDlq(broker, query);
    const start = Number(query.get('cursor') ?? 0);
    const end = start + Number(query.get('count') ?? 100);
    return c.json({
      messages: entries.slice(start, end).map(dlqView),
      cursor: end < entries.length ? String(end) : undefined,
    });
  });

  app.delete('/v2/dlq/:dlqId', (c) =>
    broker.deleteFromDlq([c.req.param('dlqId')])
      ? c.body(null, 200)
      : c.json({ error: 'dlq message not found' }, 404),
  );

  app.delete('/v2/dlq', (c) => {
    const entries = selectDlq(broker, new URL(c.req.url).searchParams);
    return c.json({ deleted: broker.deleteFromDlq(entries.map((entry) => entry.dlqId)) });
  });

  app.post('/v2/dlq/retry', (c) => {
    const entries = selectDlq(broker, new URL(c.req.url).searchParams);
    const messageIds = broker.retryFromDlq(entries.map((entry) => entry.dlqId));
    return c.json({ responses: messageIds.map((messageId) => ({ messageId })) });
  });

  return app;
}

function published(c: Context, broker: Broker, draft: MessageDraft) {
  const response = publishResponse(broker, draft);
  return c.json({ ...response, url: draft.url }, response.deduplicated ? 202 : 201);
}

function publishResponse(broker: Broker, draft: MessageDraft) {
  const { messageId, deduplicated } = broker.publish(draft);
  return deduplicated ? { messageId, deduplicated } : { messageId };
}

function selectDlq(broker: Broker, query: URLSearchParams): DlqEntry[] {
  return broker.dlq().filter((entry) =>
    matchesFilters(query, 'dlqIds', entry.dlqId, {
      url: entry.message.url,
      messageId: entry.message.messageId,
      queueName: entry.message.queueName,
      scheduleId: entry.message.scheduleId,
      label: entry.message.label,
      responseStatus: String(entry.response.status),
    }),
  );
}

/** QStash's list filters: every given filter must match; repeated values mean "any of". */
function matchesFilters(
  query: URLSearchParams,
  idsKey: string,
  id: string,
  fields: Record<string, string | undefined>,
): boolean {
  const ids = query.getAll(idsKey);
  if (ids.length > 0 && !ids.includes(id)) return false;
  return Object.entries(fields).every(([key, value]) => {
    const wanted = query.getAll(key);
    return wanted.length === 0 || (value !== undefined && wanted.includes(value));
  });
}

/** The path and query as sent: a destination URL in the path keeps its own query string. */
function rawPath(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

async function bytes(c: Context): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}
