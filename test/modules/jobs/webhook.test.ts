import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/modules/jobs/jobs.service';
import { getRedis } from '../../../src/platform/redis';
import {
  deliverJobs,
  deliveryRequest,
  qstashClient,
  settingsWith,
  signLikeQStash,
} from '../../helpers/jobs';
import { mailTo } from '../../helpers/mail';
import { drainDeliveries, localQStashMessages } from '../../helpers/qstash';
import { uniqueEmail } from '../../helpers/users';
import { API, DEAD_ENDPOINT, readProblem, workerWith } from '../../helpers/worker';

/** This file's public host: QStash delivers its jobs there, and only this file drains it. */
const BASE = 'http://jobs-webhook.localhost:8787';
const overrides = { PUBLIC_BASE_URL: BASE };
const send = workerWith(overrides);
const url = (task: string) => `${BASE}${API}/jobs/${task}`;

const verifyEmail = (to: string) => ({
  to,
  template: 'verify_email' as const,
  data: { link: `${BASE}/verify?token=abc`, name: 'Ada' },
});

/** Enqueues a verification e-mail and returns the signed request QStash delivered for it. */
async function deliveredOnce(to: string) {
  const messageId = await enqueue(
    { settings: settingsWith(overrides) },
    'send_email',
    verifyEmail(to),
  );
  const captured: Request[] = [];
  const delivered = await deliverJobs(BASE, {}, {});
  for (const delivery of delivered) {
    if (delivery.messageId === messageId) {
      captured.push(deliveryRequest(delivery.url, delivery.body, delivery.headers));
    }
  }
  const [request] = captured;
  if (!request) throw new Error('the message was not delivered');
  return { messageId, request, delivered: delivered.filter((d) => d.messageId === messageId) };
}

async function signed(task: string, body: string, headers: Record<string, string> = {}) {
  const signature = await signLikeQStash({ url: url(task), body });
  return deliveryRequest(url(task), body, { 'Upstash-Signature': signature, ...headers });
}

describe('POST /jobs/{task}: running a delivery', () => {
  it('sends a queued e-mail once, with a text and an HTML part, and answers 200 done', async () => {
    const to = uniqueEmail('webhook');
    const { messageId, delivered } = await deliveredOnce(to);

    expect(delivered.map((d) => [d.status, JSON.parse(d.responseBody)])).toEqual([
      [200, { status: 'done', message_id: messageId }],
    ]);
    const mail = await mailTo(to);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe('Verify your e-mail address for Stratus');
    expect(mail[0]?.text).toContain(`${BASE}/verify?token=abc`);
    expect(mail[0]?.html).toContain(`href="${BASE}/verify?token=abc"`);
  });

  it('sends one e-mail however often the same delivery is replayed', async () => {
    const to = uniqueEmail('replayed');
    const { messageId, request } = await deliveredOnce(to);

    for (let replay = 0; replay < 5; replay++) {
      const response = await send(request.clone());
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'duplicate', message_id: messageId });
    }
    expect(await mailTo(to)).toHaveLength(1);
  });

  it('runs nothing for a captured delivery replayed under another message id', async () => {
    const to = uniqueEmail('re-labelled');
    const { request } = await deliveredOnce(to);
    const headers = new Headers(request.headers);
    headers.set('Upstash-Message-Id', 'msg_forged');
    const relabelled = new Request(request.clone(), { headers });
    const response = await send(relabelled);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'duplicate', message_id: 'msg_forged' });
    expect(await mailTo(to)).toHaveLength(1);
  });

  it('publishes each task with its own retry policy to PUBLIC_BASE_URL', async () => {
    const settings = settingsWith(overrides);
    const messageId = await enqueue({ settings }, 'send_email', verifyEmail(uniqueEmail('policy')));
    const [message] = (await localQStashMessages(url('send_email'))).filter(
      (m) => m.messageId === messageId,
    );
    expect(message).toMatchObject({ url: url('send_email'), maxRetries: 5 });
    await deliverJobs(BASE);
  });
});

describe('POST /jobs/{task}: only QStash may call it', () => {
  const body = (to: string) => JSON.stringify(verifyEmail(to));

  it.each([
    ['no signature', async (to: string) => deliveryRequest(url('send_email'), body(to))],
    [
      'a tampered body',
      async (to: string) => {
        const original = await signed('send_email', body(uniqueEmail('original')));
        return deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': original.headers.get('Upstash-Signature') ?? '',
        });
      },
    ],
    [
      'a tampered signature',
      async (to: string) => {
        const signature = await signLikeQStash({ url: url('send_email'), body: body(to) });
        const [header, payload, mac = ''] = signature.split('.');
        const flipped = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
        return deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': `${header}.${payload}.${flipped}`,
        });
      },
    ],
    [
      'a signature for another URL',
      async (to: string) =>
        deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': await signLikeQStash({
            url: `https://elsewhere.example${API}/jobs/send_email`,
            body: body(to),
          }),
        }),
    ],
    [
      'an expired signature',
      async (to: string) =>
        deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': await signLikeQStash({
            url: url('send_email'),
            body: body(to),
            expiresIn: -60,
          }),
        }),
    ],
    [
      'a signature without exp (issue 8)',
      async (to: string) =>
        deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': await signLikeQStash({
            url: url('send_email'),
            body: body(to),
            expiresIn: null,
          }),
        }),
    ],
    [
      'a signature made with HS512 and the right key: the algorithm is pinned (issue 8)',
      async (to: string) =>
        deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': await signLikeQStash({
            url: url('send_email'),
            body: body(to),
            alg: 'HS512',
          }),
        }),
    ],
    [
      'a signature made with an unknown key',
      async (to: string) =>
        deliveryRequest(url('send_email'), body(to), {
          'Upstash-Signature': await signLikeQStash({
            url: url('send_email'),
            body: body(to),
            key: 'sig_someone_elses_key_0123456789',
          }),
        }),
    ],
  ])('refuses %s with 401 and sends nothing', async (_, build) => {
    const to = uniqueEmail('forged');
    const response = await send(await build(to));
    expect(response.status).toBe(401);
    expect((await readProblem(response)).code).toBe('JOB_SIGNATURE_INVALID');
    expect(await mailTo(to)).toEqual([]);
  });

  it('checks the signature against PUBLIC_BASE_URL, not the host the request came to', async () => {
    const to = uniqueEmail('host');
    const original = await signed('send_email', body(to));
    const viaOtherHost = new Request(`http://127.0.0.1:8787${API}/jobs/send_email`, original);
    expect((await send(viaOtherHost)).status).toBe(200);
    expect(await mailTo(to)).toHaveLength(1);
  });

  it('accepts a delivery signed with the next signing key (key rotation)', async () => {
    const to = uniqueEmail('rotated');
    const signature = await signLikeQStash({
      url: url('send_email'),
      body: body(to),
      key: env.QSTASH_NEXT_SIGNING_KEY,
    });
    const response = await send(
      deliveryRequest(url('send_email'), body(to), { 'Upstash-Signature': signature }),
    );
    expect(response.status).toBe(200);
    expect(await mailTo(to)).toHaveLength(1);
  });
});

describe('POST /jobs/{task}: what QStash is told to do next', () => {
  it('answers 404 for a task it does not know', async () => {
    const response = await send(await signed('no_such_task', '{}'));
    expect(response.status).toBe(404);
    expect((await readProblem(response)).code).toBe('NOT_FOUND');
  });

  it('refuses an invalid payload with 489 and Upstash-NonRetryable-Error, running nothing', async () => {
    const payload = JSON.stringify({ to: 'not-an-address', template: 'verify_email', data: {} });
    const response = await send(await signed('send_email', payload));
    expect(response.status).toBe(489);
    expect(response.headers.get('Upstash-NonRetryable-Error')).toBe('true');
    const problem = await readProblem(response);
    expect(problem).toMatchObject({ status: 489, code: 'VALIDATION_ERROR' });
    expect(problem.errors?.map((error) => error.path)).toEqual(
      expect.arrayContaining(['body.to', 'body.data.link']),
    );
  });

  it('refuses a link that is not http(s), so no javascript: URL reaches an e-mail', async () => {
    const payload = JSON.stringify({
      to: uniqueEmail('xss'),
      template: 'reset_password',
      data: { link: 'javascript:alert(1)' },
    });
    expect((await send(await signed('send_email', payload))).status).toBe(489);
  });

  it('answers 409 while another delivery of the same message is running, running nothing', async () => {
    const to = uniqueEmail('concurrent');
    const messageId = `msg_running_${crypto.randomUUID().replaceAll('-', '')}`;
    await getRedis(settingsWith(overrides)).set(`jobs:message:${messageId}`, 'running', { ex: 60 });
    const response = await send(
      await signed('send_email', JSON.stringify(verifyEmail(to)), {
        'Upstash-Message-Id': messageId,
      }),
    );
    expect(response.status).toBe(409);
    expect((await readProblem(response)).code).toBe('JOB_IN_PROGRESS');
    expect(await mailTo(to)).toEqual([]);
  });

  it('answers 489 when the mail provider refuses the message for good', async () => {
    // The provider validates the sender: an invalid one is refused with 422, whatever the retry.
    const refusing = workerWith({ ...overrides, EMAIL_FROM: 'not an address' });
    const response = await refusing(
      await signed('send_email', JSON.stringify(verifyEmail(uniqueEmail('refused')))),
    );
    expect(response.status).toBe(489);
    expect(response.headers.get('Upstash-NonRetryable-Error')).toBe('true');
    expect((await readProblem(response)).detail).toMatch(/^Resend answered 422/);
  });

  it('retries a task that throws, then leaves its message in the DLQ', async () => {
    const to = uniqueEmail('failing');
    const settings = settingsWith(overrides);
    const messageId = await enqueue({ settings }, 'send_email', verifyEmail(to), { retries: 2 });

    // The mail provider is down while QStash delivers: every attempt fails with a 5xx.
    const delivered = await deliverJobs(
      BASE,
      { RESEND_API_URL: DEAD_ENDPOINT },
      { maxWaitMs: 5_000 },
    );

    const attempts = delivered.filter((d) => d.messageId === messageId);
    expect(attempts.map((d) => [d.retried, d.status])).toEqual([
      [0, 500],
      [1, 500],
      [2, 500],
    ]);
    const { messages } = await qstashClient().dlq.listMessages({
      filter: { url: url('send_email') },
    });
    expect(messages.map((m) => m.messageId)).toContain(messageId);
    expect(await mailTo(to)).toEqual([]);
  });

  it('runs a message again when QStash retries it after a failure, and sends it once', async () => {
    const to = uniqueEmail('recovers');
    const messageId = await enqueue(
      { settings: settingsWith(overrides) },
      'send_email',
      verifyEmail(to),
    );
    const providerDown = workerWith({ ...overrides, RESEND_API_URL: DEAD_ENDPOINT });
    let failed = false;
    const delivered = await drainDeliveries(
      (request) => {
        if (failed || request.headers.get('Upstash-Message-Id') !== messageId) return send(request);
        failed = true;
        return providerDown(request);
      },
      { urlPrefix: `${BASE}/`, maxWaitMs: 5_000 },
    );
    const attempts = delivered.filter((d) => d.messageId === messageId);
    expect(attempts.map((d) => d.status)).toEqual([500, 200]);
    expect(await mailTo(to)).toHaveLength(1);
  });
});
