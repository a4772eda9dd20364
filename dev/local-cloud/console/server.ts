import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { listenOnLoopback } from '../http';
import type { RunningService } from '../service';

export interface ConsoleOptions {
  /** Loopback port; `0` picks a free one. */
  port: number;
  /** Where the other services of the local cloud listen. */
  urls: { postgres: string; redis: string; qstash: string; mailbox: string };
  qstashToken: string;
  resendApiKey: string;
}

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

/** An e-mail's HTML is shown as a document of its own: no script, links open a new tab. */
const MAIL_CSP = [
  'sandbox allow-popups allow-popups-to-escape-sandbox',
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "frame-ancestors 'self'",
].join('; ');

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page, with its one inline style and script allowed by hash and nothing else. */
async function consolePage(): Promise<{ html: string; csp: string }> {
  const read = (name: string) => readFile(new URL(name, import.meta.url), 'utf8');
  const [template, style, script] = await Promise.all([
    read('./page.html'),
    read('./page.css'),
    read('./page.js'),
  ]);
  const html = template.replace('/* style */', () => style).replace('/* script */', () => script);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "connect-src 'self'",
    "frame-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

/**
 * Starts the local cloud's console: one page on loopback showing what the services hold (the
 * mailbox, QStash's messages, DLQ and schedules, the Postgres and Redis counters), refreshed
 * every second, with a retry and a delete button per dead-lettered message. It reads the
 * services over their own HTTP APIs, as any client would.
 *
 * The page loads nothing from elsewhere and runs under a strict CSP; each e-mail's HTML is
 * served as its own sandboxed document. Requests must name a loopback host (no DNS
 * rebinding) and the buttons' POSTs must come from the console's own origin.
 *
 * @example
 * const console = await startConsole({ port: 8795, urls, qstashToken, resendApiKey });
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningService> {
  const page = await consolePage();
  const { urls } = options;
  const qstash = (path: string, init: RequestInit = {}) =>
    fetch(`${urls.qstash}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${options.qstashToken}` },
    });
  const json = async (response: Promise<Response>) => {
    const answer = await response;
    if (!answer.ok) throw new Error(`${answer.url} answered ${answer.status}`);
    return answer.json();
  };
  const app = new Hono();

  app.use(async (c, next) => {
    if (!LOOPBACK_HOST.test(c.req.header('Host') ?? '')) return c.text('loopback only', 403);
    if (c.req.method !== 'GET' && c.req.header('Origin') !== new URL(c.req.url).origin) {
      return c.text('cross-origin request refused', 403);
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
  });

  app.get('/', (c) => {
    c.header('Content-Security-Policy', page.csp);
    return c.html(page.html);
  });

  app.get('/api/state', async (c) => {
    const [mail, messages, dlq, schedules, postgres, redis] = await Promise.all([
      json(fetch(`${urls.mailbox}/messages`)),
      json(fetch(`${urls.qstash}/__local/messages`)),
      json(qstash('/v2/dlq?count=1000')),
      json(qstash('/v2/schedules')),
      json(fetch(new URL('/__local/stats', urls.postgres))),
      json(fetch(new URL('/__local/stats', urls.redis))),
    ]);
    return c.json({
      mail: (mail as { created_at: string }[]).toReversed(),
      qstash: { messages, dlq: (dlq as { messages: unknown[] }).messages, schedules },
      stats: { postgres, redis },
    });
  });

  app.get('/mail/:id', async (c) => {
    const response = await fetch(
      `${urls.mailbox}/emails/${encodeURIComponent(c.req.param('id'))}`,
      {
        headers: { Authorization: `Bearer ${options.resendApiKey}` },
      },
    );
    if (!response.ok) return c.text('no such message', 404);
    const message = (await response.json()) as { html: string | null; text: string | null };
    c.header('Content-Security-Policy', MAIL_CSP);
    if (message.html === null) return c.text(message.text ?? '');
    return c.html(`<!doctype html><base target="_blank">${message.html}`);
  });

  const dlqAction = (action: (dlqId: string) => Promise<Response>) => async (c: Context) => {
    const answer = await action(c.req.param('dlqId') ?? '');
    return c.json(await answer.json().catch(() => ({})), answer.ok ? 200 : 404);
  };
  app.post(
    '/api/dlq/:dlqId/retry',
    dlqAction((dlqId) =>
      qstash(`/v2/dlq/retry?dlqIds=${encodeURIComponent(dlqId)}`, { method: 'POST' }),
    ),
  );
  app.post(
    '/api/dlq/:dlqId/delete',
    dlqAction((dlqId) => qstash(`/v2/dlq/${encodeURIComponent(dlqId)}`, { method: 'DELETE' })),
  );

  const server = await listenOnLoopback('console', app.fetch, options.port);
  return { url: server.origin, close: server.close };
}
