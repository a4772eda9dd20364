import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { pathTag, withFaults } from '../faults';
import { listenOnLoopback } from '../http';
import type { RunningService } from '../service';

export interface MailboxOptions {
  /** Loopback port; `0` picks a free one. */
  port: number;
  /** The API key `POST /emails` accepts as `Authorization: Bearer …`. */
  apiKey: string;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
}

/** A stored e-mail as `GET /messages` lists it. */
export interface MailboxMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string | null;
  html: string | null;
  cc: string[];
  bcc: string[];
  reply_to: string[];
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  created_at: string;
}

const MAX_RECIPIENTS = 50;
const MAX_IDEMPOTENCY_KEY = 256;
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
const MAX_BATCH = 100;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const NAMED_EMAIL = /^[^<>]*<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>$/;

const address = z
  .string()
  .refine(
    (value) => EMAIL.test(value.trim()) || NAMED_EMAIL.test(value.trim()),
    'must be `email@example.com` or `Name <email@example.com>`',
  );
const addresses = z.union([address, z.array(address).min(1).max(MAX_RECIPIENTS)]);

const emailSchema = z
  .object({
    from: address,
    to: addresses,
    subject: z.string(),
    html: z.string().optional(),
    text: z.string().optional(),
    cc: addresses.optional(),
    bcc: addresses.optional(),
    reply_to: addresses.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    tags: z
      .array(z.object({ name: z.string().regex(/^[\w-]+$/), value: z.string().regex(/^[\w-]+$/) }))
      .optional(),
    scheduled_at: z.string().optional(),
    attachments: z.array(z.unknown()).optional(),
  })
  .refine((email) => email.html !== undefined || email.text !== undefined, {
    message: 'Missing `html` or `text` field.',
    path: ['html'],
  });

type Email = z.infer<typeof emailSchema>;

/**
 * Starts the local mailbox: Resend's `POST /emails` and `POST /emails/batch` (same auth,
 * validation and error shape `{ statusCode, name, message }`), storing every message in
 * memory. `GET /messages[?to=address]` lists them, newest last; `DELETE /messages` empties it.
 * `/__local/faults` plays faults on demand (see `withFaults`); a `/__tag/<tag>` path prefix
 * scopes a fault to the requests sent under it (`RESEND_API_URL=…/__tag/<tag>`).
 *
 * Both sending routes honour `Idempotency-Key` as Resend does: the same key with the same body
 * within 24 h answers the first response again and sends nothing; the same key with another
 * body answers 409 `invalid_idempotent_request`; a key outside 1–256 characters answers 400
 * `invalid_idempotency_key`. Only accepted sends are remembered.
 *
 * @example
 * const mailbox = await startMailbox({ port: 0, apiKey: 're_local_123' });
 * // the Worker sends with RESEND_API_URL = mailbox.url; a test then reads:
 * const [mail] = await (await fetch(`${mailbox.url}/messages?to=ada@example.com`)).json();
 */
export async function startMailbox(options: MailboxOptions): Promise<RunningService> {
  const messages: MailboxMessage[] = [];
  const idempotency = new Map<string, Remembered>();
  const app = new Hono();

  app.use('/emails/*', async (c, next) => {
    const authorization = c.req.header('Authorization');
    if (!authorization?.startsWith('Bearer ')) {
      return resendError(c, 401, 'missing_api_key', 'Missing API key in the authorization header.');
    }
    if (authorization !== `Bearer ${options.apiKey}`) {
      return resendError(c, 403, 'invalid_api_key', 'API key is invalid');
    }
    await next();
  });

  app.use('/emails/*', async (c, next) => {
    const key = c.req.header('Idempotency-Key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY) {
      return resendError(
        c,
        400,
        'invalid_idempotency_key',
        `The key must be between 1-${MAX_IDEMPOTENCY_KEY} chars.`,
      );
    }
    const scope = `${c.req.path} ${key}`;
    const body = await c.req.text();
    const earlier = idempotency.get(scope);
    if (earlier && Date.now() - earlier.at < IDEMPOTENCY_WINDOW_MS) {
      if (earlier.body !== body) {
        return resendError(
          c,
          409,
          'invalid_idempotent_request',
          'Same idempotency key used with a different request payload. Change your idempotency key or payload.',
        );
      }
      return c.json(earlier.response);
    }
    await next();
    if (c.res.ok) {
      idempotency.set(scope, { at: Date.now(), body, response: await c.res.clone().json() });
    }
  });

  app.post('/emails', async (c) => {
    const input = await readJson(c);
    const parsed = emailSchema.safeParse(input);
    if (!parsed.success) return validationError(c, parsed.error, input);
    const message = store(messages, parsed.data);
    return c.json({ id: message.id });
  });

  app.post('/emails/batch', async (c) => {
    const input = await readJson(c);
    const parsed = z.array(emailSchema).min(1).max(MAX_BATCH).safeParse(input);
    if (!parsed.success) return validationError(c, parsed.error, input);
    return c.json({ data: parsed.data.map((email) => ({ id: store(messages, email).id })) });
  });

  app.get('/emails/:id', (c) => {
    const message = messages.find((candidate) => candidate.id === c.req.param('id'));
    if (!message) return resendError(c, 404, 'not_found', 'Email not found');
    return c.json({ object: 'email', ...message, last_event: 'delivered' });
  });

  app.get('/messages', (c) => {
    const to = c.req.query('to')?.toLowerCase();
    return c.json(
      to === undefined
        ? messages
        : messages.filter((message) => message.to.some((r) => bareAddress(r) === to)),
    );
  });

  app.delete('/messages', (c) => {
    messages.length = 0;
    return c.body(null, 204);
  });

  const fetch = withFaults(app.fetch, {
    tagOf: pathTag,
    stripTag: true,
    errorBody: (statusCode, message) => ({ statusCode, name: 'application_error', message }),
  });
  const server = await listenOnLoopback('mailbox', fetch, options.port, options.host);
  return { url: server.origin, close: server.close };
}

/** An accepted send under an `Idempotency-Key`: its raw body and the answer it got. */
interface Remembered {
  at: number;
  body: string;
  response: unknown;
}

function store(messages: MailboxMessage[], email: Email): MailboxMessage {
  const message: MailboxMessage = {
    id: crypto.randomUUID(),
    from: email.from,
    to: list(email.to),
    subject: email.subject,
    text: email.text ?? null,
    html: email.html ?? null,
    cc: list(email.cc),
    bcc: list(email.bcc),
    reply_to: list(email.reply_to),
    headers: email.headers ?? {},
    tags: email.tags ?? [],
    created_at: new Date().toISOString(),
  };
  messages.push(message);
  return message;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : [value].flat();
}

function bareAddress(recipient: string): string {
  return (NAMED_EMAIL.exec(recipient)?.[1] ?? recipient).trim().toLowerCase();
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

/** Resend names a missing field `missing_required_field` and a malformed one `validation_error`. */
function validationError(c: Context, error: z.ZodError, input: unknown) {
  const issue = error.issues[0];
  if (!issue || issue.path.length === 0) {
    return resendError(c, 422, 'validation_error', 'The request body must be a JSON email object.');
  }
  const field = issue.path.map(String).join('.');
  if (issue.message.startsWith('Missing')) {
    return resendError(c, 422, 'missing_required_field', issue.message);
  }
  return valueAt(input, issue.path) === undefined
    ? resendError(c, 422, 'missing_required_field', `Missing \`${field}\` field.`)
    : resendError(c, 422, 'validation_error', `Invalid \`${field}\` field: ${issue.message}.`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined,
    input,
  );
}

function resendError(
  c: Context,
  statusCode: 400 | 401 | 403 | 404 | 409 | 422,
  name: string,
  message: string,
) {
  return c.json({ statusCode, name, message }, statusCode);
}
