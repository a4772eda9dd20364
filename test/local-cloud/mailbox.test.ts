import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import type { LocalCloudUrls } from '../../dev/local-cloud/bindings';
import type { MailboxMessage } from '../../dev/local-cloud/mailbox/server';
import { LOCAL_CREDENTIALS } from '../../dev/local-cloud/service';
import { createLogger } from '../../src/lib/logger';
import { MailError, sendMail } from '../../src/platform/mail';
import { getSettings } from '../../src/settings';

function mailbox(): string {
  const urls: LocalCloudUrls = inject('localCloud');
  return urls.mailbox;
}

/** A recipient of its own per test: the mailbox is shared with test files running alongside. */
function recipient(): string {
  return `user-${crypto.randomUUID()}@example.com`;
}

function send(
  body: unknown,
  apiKey: string | null = LOCAL_CREDENTIALS.resendApiKey,
  headers: Record<string, string> = {},
) {
  return fetch(`${mailbox()}/emails`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(apiKey !== null && { Authorization: `Bearer ${apiKey}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

async function inbox(address: string): Promise<MailboxMessage[]> {
  const response = await fetch(`${mailbox()}/messages?to=${encodeURIComponent(address)}`);
  return response.json();
}

describe('local mailbox: Resend API', () => {
  it('stores a sent email with every field, listed by GET /messages for its recipient', async () => {
    const to = recipient();
    const email = {
      from: 'Stratus <no-reply@stratus.test>',
      to: [to],
      cc: 'cc@example.com',
      bcc: ['bcc@example.com'],
      reply_to: 'support@stratus.test',
      subject: 'Verify your address',
      html: '<p>Open <a href="https://app.test/verify?token=abc">this link</a></p>',
      text: 'Open https://app.test/verify?token=abc',
      headers: { 'X-Entity-Ref-ID': 'ref-1' },
      tags: [{ name: 'category', value: 'verification' }],
    };

    const response = await send(email);

    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    const [stored, ...others] = await inbox(to);
    expect(others).toEqual([]);
    expect(stored).toEqual({
      ...email,
      id,
      cc: [email.cc],
      reply_to: [email.reply_to],
      created_at: expect.any(String),
    });
    expect(Date.parse(stored?.created_at ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lists messages newest last and matches a named recipient by its address', async () => {
    const to = recipient();
    for (const subject of ['first', 'second']) {
      await send({ from: 'a@stratus.test', to: `Ada <${to}>`, subject, text: subject });
    }
    expect((await inbox(to.toUpperCase())).map((mail) => mail.subject)).toEqual([
      'first',
      'second',
    ]);
    const all = (await (await fetch(`${mailbox()}/messages`)).json()) as MailboxMessage[];
    const mine = all.filter((mail) => mail.to.includes(`Ada <${to}>`)).map((mail) => mail.subject);
    expect(mine).toEqual(['first', 'second']);
  });

  it('stores each email of a batch and answers their ids', async () => {
    const [first, second] = [recipient(), recipient()];
    const response = await fetch(`${mailbox()}/emails/batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${LOCAL_CREDENTIALS.resendApiKey}` },
      body: JSON.stringify([
        { from: 'a@stratus.test', to: first, subject: 'one', text: '1' },
        { from: 'a@stratus.test', to: second, subject: 'two', html: '<b>2</b>' },
      ]),
    });
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: { id: string }[] };
    expect((await inbox(first)).map((mail) => mail.id)).toEqual([data[0]?.id]);
    expect((await inbox(second)).map((mail) => mail.id)).toEqual([data[1]?.id]);
  });

  it('refuses a missing API key with 401 and a wrong one with 403, storing nothing', async () => {
    const to = recipient();
    const email = { from: 'a@stratus.test', to, subject: 's', text: 't' };

    const missing = await send(email, null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ statusCode: 401, name: 'missing_api_key' });
    const wrong = await send(email, 're_wrong');
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({
      statusCode: 403,
      name: 'invalid_api_key',
      message: 'API key is invalid',
    });
    expect(await inbox(to)).toEqual([]);
  });

  it('answers an invalid email with 422 in Resend error shape, storing nothing', async () => {
    const to = recipient();

    const noRecipient = await send({ from: 'a@stratus.test', subject: 's', text: 't' });
    expect(noRecipient.status).toBe(422);
    expect(await noRecipient.json()).toEqual({
      statusCode: 422,
      name: 'missing_required_field',
      message: 'Missing `to` field.',
    });
    const badFrom = await send({ from: 'not an address', to, subject: 's', text: 't' });
    expect(badFrom.status).toBe(422);
    expect(await badFrom.json()).toMatchObject({
      statusCode: 422,
      name: 'validation_error',
      message: expect.stringContaining('`from`'),
    });
    const noContent = await send({ from: 'a@stratus.test', to, subject: 's' });
    expect(noContent.status).toBe(422);
    expect(await inbox(to)).toEqual([]);
  });
});

describe('local mailbox: Idempotency-Key (issue 14)', () => {
  const key = () => ({ 'Idempotency-Key': `welcome-user/${crypto.randomUUID()}` });

  it('answers a resend with the same key and body with the first response, storing one message', async () => {
    const to = recipient();
    const email = { from: 'a@stratus.test', to, subject: 'once', text: 'once' };
    const headers = key();

    const first = await send(email, undefined, headers);
    const second = await send(email, undefined, headers);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(await first.json());
    expect(await inbox(to)).toHaveLength(1);
  });

  it('refuses the same key with another body with 409 invalid_idempotent_request, sending nothing', async () => {
    const to = recipient();
    const headers = key();
    await send({ from: 'a@stratus.test', to, subject: 'first', text: 'first' }, undefined, headers);

    const reused = await send(
      { from: 'a@stratus.test', to, subject: 'other', text: 'other' },
      undefined,
      headers,
    );

    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({
      statusCode: 409,
      name: 'invalid_idempotent_request',
    });
    expect((await inbox(to)).map((mail) => mail.subject)).toEqual(['first']);
  });

  it('refuses a key over 256 characters with 400 invalid_idempotency_key', async () => {
    const to = recipient();
    const response = await send(
      { from: 'a@stratus.test', to, subject: 's', text: 't' },
      undefined,
      {
        'Idempotency-Key': 'k'.repeat(257),
      },
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ name: 'invalid_idempotency_key' });
    expect(await inbox(to)).toEqual([]);
  });

  it('lets sendMail send once per key and fail a reused key with another body for good', async () => {
    const settings = getSettings({ ...env, RESEND_API_URL: mailbox() });
    const deps = { settings, logger: createLogger('error') };
    const to = recipient();
    const idempotencyKey = `job/${crypto.randomUUID()}`;
    const message = { to, subject: 'Verify', text: 'text', html: '<p>html</p>', idempotencyKey };

    await sendMail(deps, message);
    await sendMail(deps, message);
    const error = await sendMail(deps, { ...message, subject: 'Changed' }).catch((e: unknown) => e);

    expect(await inbox(to)).toHaveLength(1);
    expect(error).toBeInstanceOf(MailError);
    expect(error).toMatchObject({ status: 409, retryable: false });
  });
});
