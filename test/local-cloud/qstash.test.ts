import { Client, Receiver } from '@upstash/qstash';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../dev/local-cloud/service';
import type { DeliveredMessage } from '../helpers/qstash';
import {
  drainDeliveries,
  localQStashMessages,
  qstashUrl,
  triggerSchedule,
} from '../helpers/qstash';

const keys = {
  currentSigningKey: LOCAL_CREDENTIALS.qstashCurrentSigningKey,
  nextSigningKey: LOCAL_CREDENTIALS.qstashNextSigningKey,
};

function qstash(token: string = LOCAL_CREDENTIALS.qstashToken): Client {
  return new Client({ baseUrl: qstashUrl(), token, retry: false });
}

/** A destination of its own per test, so a drain sees only that test's messages. */
function destination(): string {
  return `https://qstash-contract.test/${crypto.randomUUID()}`;
}

/** A destination that answers each delivery with the next status of `statuses` (then 200). */
function answering(...statuses: number[]) {
  return async (request: Request) => {
    const status = statuses.shift() ?? 200;
    await request.arrayBuffer();
    return new Response(status === 200 ? 'done' : 'boom', { status });
  };
}

function to(url: string, delivered: DeliveredMessage[]): DeliveredMessage[] {
  return delivered.filter((delivery) => delivery.url === url);
}

describe('local QStash: publishing with the real @upstash/qstash Client', () => {
  it('returns message ids for publish, publishJSON, batch and enqueue, and delivers each', async () => {
    const base = destination();
    const client = qstash();
    const plain = await client.publish({ url: `${base}/plain`, body: 'hello' });
    const json = await client.publishJSON({
      url: `${base}/json?source=test`,
      body: { task: 'send-email' },
      headers: { 'X-Trace': 'trace-1' },
    });
    const batch = await client.batch([
      { url: `${base}/batch-a`, body: 'a' },
      { url: `${base}/batch-b`, body: 'b' },
    ]);
    const queued = await client.queue({ queueName: 'contract' }).enqueueJSON({
      url: `${base}/queued`,
      body: { n: 1 },
    });
    const ids = [plain, json, ...batch.flat(), queued].map((response) => response.messageId);
    expect(ids.every((id) => /^msg_\w+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(5);
    expect(await client.messages.get(json.messageId)).toMatchObject({
      url: `${base}/json?source=test`,
      body: '{"task":"send-email"}',
      maxRetries: 3,
    });

    const delivered = await drainDeliveries(answering(), { urlPrefix: base });

    expect(delivered.map((d) => d.messageId).sort()).toEqual([...ids].sort());
    const [jsonDelivery] = to(`${base}/json?source=test`, delivered);
    expect(jsonDelivery).toMatchObject({
      method: 'POST',
      body: '{"task":"send-email"}',
      retried: 0,
    });
    expect(jsonDelivery?.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Trace': 'trace-1',
      'Upstash-Message-Id': json.messageId,
      'Upstash-Retried': '0',
    });
  });

  it('refuses a client with the wrong token', async () => {
    await expect(qstash('wrong-token').publish({ url: destination(), body: 'x' })).rejects.toThrow(
      /Unauthorized/,
    );
  });

  it('answers a destination that is not a URL with 400', async () => {
    const response = await fetch(`${qstashUrl()}/v2/publish/not-a-url`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${LOCAL_CREDENTIALS.qstashToken}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: expect.stringContaining('not-a-url') });
  });
});

describe('local QStash: signed deliveries', () => {
  it('signs a delivery so the real Receiver verifies it for its URL and body only', async () => {
    const url = `${destination()}/signed`;
    await qstash().publishJSON({ url, body: { hello: 'world' } });
    const [delivery] = await drainDeliveries(answering(), { urlPrefix: url });
    const signature = delivery?.headers['Upstash-Signature'] ?? '';
    const body = delivery?.body ?? '';
    const receiver = new Receiver(keys);

    await expect(receiver.verify({ signature, body, url })).resolves.toBe(true);
    await expect(receiver.verify({ signature, body: `${body} `, url })).rejects.toThrow(
      /body hash does not match/,
    );
    await expect(receiver.verify({ signature, body, url: `${url}/other` })).rejects.toThrow(
      /invalid subject/,
    );
    const stranger = new Receiver({ currentSigningKey: 'sig_a', nextSigningKey: 'sig_b' });
    await expect(stranger.verify({ signature, body, url })).rejects.toThrow();
  });

  it('still verifies after the keys rotate (current and next swapped)', async () => {
    const url = `${destination()}/rotated`;
    await qstash().publish({ url, body: 'rotate' });
    const [delivery] = await drainDeliveries(answering(), { urlPrefix: url });
    const rotated = new Receiver({
      currentSigningKey: keys.nextSigningKey,
      nextSigningKey: keys.currentSigningKey,
    });
    const signature = delivery?.headers['Upstash-Signature'] ?? '';
    await expect(rotated.verify({ signature, body: 'rotate', url })).resolves.toBe(true);
  });

  it('puts QStash claims in the JWT: Upstash issuer, URL subject, five minutes of validity', async () => {
    const url = `${destination()}/claims`;
    await qstash().publish({ url, body: 'claims' });
    const [delivery] = await drainDeliveries(answering(), { urlPrefix: url });
    const claims = decodeJwt(delivery?.headers['Upstash-Signature'] ?? '');
    expect(claims).toMatchObject({ iss: 'Upstash', sub: url, body: expect.any(String) });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toEqual(expect.any(String));
  });
});

describe('local QStash: timing, deduplication and cancellation', () => {
  it('does not hand out a delayed or not-before message before its time', async () => {
    const base = destination();
    const client = qstash();
    const publishedAt = Date.now();
    const delayed = await client.publish({ url: `${base}/delayed`, body: 'd', delay: 1 });
    const later = await client.publish({
      url: `${base}/later`,
      body: 'l',
      notBefore: Math.floor(Date.now() / 1000) + 3600,
    });

    expect(await drainDeliveries(answering(), { urlPrefix: base, maxWaitMs: 0 })).toEqual([]);
    const held = await localQStashMessages(base);
    expect(held.map((m) => m.state)).toEqual(['CREATED', 'CREATED']);

    const delivered = await drainDeliveries(answering(), { urlPrefix: base, maxWaitMs: 3_000 });
    expect(delivered.map((d) => d.messageId)).toEqual([delayed.messageId]);
    expect(Date.now() - publishedAt).toBeGreaterThanOrEqual(1_000);
    const stillHeld = await client.messages.get(later.messageId);
    expect(stillHeld.notBefore).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('cancels a pending message, which then is never delivered', async () => {
    const url = `${destination()}/cancelled`;
    const client = qstash();
    const { messageId } = await client.publish({ url, body: 'c', delay: 60 });
    expect(await client.messages.cancel(messageId)).toEqual({ cancelled: 1 });
    await expect(client.messages.get(messageId)).rejects.toThrow(/message not found/);
    expect((await localQStashMessages(url)).map((m) => m.state)).toEqual(['CANCELED']);
  });

  it('delivers once when two publishes share a deduplication id or content', async () => {
    const base = destination();
    const client = qstash();
    const deduplicationId = crypto.randomUUID();
    const first = await client.publishJSON({ url: `${base}/id`, body: { a: 1 }, deduplicationId });
    const second = await client.publishJSON({ url: `${base}/id`, body: { a: 2 }, deduplicationId });
    expect(second).toMatchObject({ messageId: first.messageId, deduplicated: true });
    const byContent = { url: `${base}/content`, body: 'same', contentBasedDeduplication: true };
    const third = await client.publish(byContent);
    expect((await client.publish(byContent)).messageId).toBe(third.messageId);

    const delivered = await drainDeliveries(answering(), { urlPrefix: base });
    expect(delivered.map((d) => d.messageId).sort()).toEqual(
      [first.messageId, third.messageId].sort(),
    );
  });
});

describe('local QStash: retries, DLQ and callbacks', () => {
  it('retries a failing delivery with Upstash-Retried counting up, then moves it to the DLQ', async () => {
    const url = `${destination()}/failing`;
    const client = qstash();
    const { messageId } = await client.publishJSON({ url, body: { n: 1 }, retries: 2 });

    const delivered = await drainDeliveries(answering(500, 500, 500), { urlPrefix: url });

    expect(delivered.map((d) => [d.retried, d.headers['Upstash-Retried'], d.status])).toEqual([
      [0, '0', 500],
      [1, '1', 500],
      [2, '2', 500],
    ]);
    const { messages } = await client.dlq.listMessages({ filter: { url } });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      messageId,
      url,
      responseStatus: 500,
      responseBody: 'boom',
    });
    await client.dlq.delete(messages[0]?.dlqId ?? '');
    expect((await client.dlq.listMessages({ filter: { url } })).messages).toEqual([]);
  });

  it('moves a message straight to the DLQ on 489 with Upstash-NonRetryable-Error', async () => {
    const url = `${destination()}/refused`;
    const client = qstash();
    const { messageId } = await client.publishJSON({ url, body: { n: 1 }, retries: 3 });
    const refuse = async (request: Request) => {
      await request.arrayBuffer();
      return new Response('bad payload', {
        status: 489,
        headers: { 'Upstash-NonRetryable-Error': 'true' },
      });
    };
    const delivered = await drainDeliveries(refuse, { urlPrefix: url });
    expect(delivered.map((d) => [d.retried, d.status])).toEqual([[0, 489]]);
    const { messages } = await client.dlq.listMessages({ filter: { url } });
    expect(messages).toMatchObject([{ messageId, responseStatus: 489 }]);
  });

  it('retries a 489 that does not say it is non-retryable, like any error', async () => {
    const url = `${destination()}/plain-489`;
    await qstash().publishJSON({ url, body: { n: 1 }, retries: 1 });
    const delivered = await drainDeliveries(answering(489), { urlPrefix: url });
    expect(delivered.map((d) => [d.retried, d.status])).toEqual([
      [0, 489],
      [1, 200],
    ]);
  });

  it('completes a message once a retry succeeds, leaving the DLQ empty', async () => {
    const url = `${destination()}/flaky`;
    const client = qstash();
    await client.publish({ url, body: 'flaky' });
    const delivered = await drainDeliveries(answering(503), { urlPrefix: url });
    expect(delivered.map((d) => [d.retried, d.status])).toEqual([
      [0, 503],
      [1, 200],
    ]);
    expect((await localQStashMessages(url)).map((m) => m.state)).toEqual(['DELIVERED']);
    expect((await client.dlq.listMessages({ filter: { url } })).messages).toEqual([]);
  });

  it('POSTs a signed callback after each attempt and a failure callback when retries run out', async () => {
    const base = destination();
    const url = `${base}/job`;
    const client = qstash();
    const { messageId } = await client.publish({
      url,
      body: 'payload',
      retries: 1,
      callback: `${base}/callback`,
      failureCallback: `${base}/failure`,
    });

    const delivered = await drainDeliveries(
      async (request) => {
        await request.arrayBuffer();
        return new Response(request.url === url ? 'boom' : 'ok', {
          status: request.url === url ? 500 : 200,
        });
      },
      { urlPrefix: base },
    );

    const receiver = new Receiver(keys);
    const callbacks = [...to(`${base}/callback`, delivered), ...to(`${base}/failure`, delivered)];
    for (const callback of callbacks) {
      const signature = callback.headers['Upstash-Signature'] ?? '';
      await expect(
        receiver.verify({ signature, body: callback.body, url: callback.url }),
      ).resolves.toBe(true);
    }
    const attempts = to(`${base}/callback`, delivered).map((d) => JSON.parse(d.body));
    expect(attempts).toHaveLength(2);
    expect(attempts.map((a) => a.retried)).toEqual([0, 1]);
    expect(attempts[0]).toMatchObject({
      status: 500,
      body: btoa('boom'),
      maxRetries: 1,
      sourceMessageId: messageId,
      url,
      method: 'POST',
      sourceBody: btoa('payload'),
    });
    const failures = to(`${base}/failure`, delivered).map((d) => JSON.parse(d.body));
    const { messages } = await client.dlq.listMessages({ filter: { url } });
    expect(failures).toEqual([
      expect.objectContaining({
        status: 500,
        sourceMessageId: messageId,
        dlqId: messages[0]?.dlqId,
      }),
    ]);
  });
});

describe('local QStash: schedules', () => {
  it('creates, lists, pauses, resumes and deletes a schedule', async () => {
    const url = `${destination()}/nightly`;
    const schedules = qstash().schedules;
    const { scheduleId } = await schedules.create({ destination: url, cron: '0 3 * * *' });

    expect(await schedules.get(scheduleId)).toMatchObject({
      scheduleId,
      cron: '0 3 * * *',
      destination: url,
      isPaused: false,
    });
    expect((await schedules.list()).map((s) => s.scheduleId)).toContain(scheduleId);
    await schedules.pause({ schedule: scheduleId });
    expect((await schedules.get(scheduleId)).isPaused).toBe(true);
    await schedules.resume({ schedule: scheduleId });
    expect((await schedules.get(scheduleId)).isPaused).toBe(false);

    await schedules.delete(scheduleId);
    expect((await schedules.list()).map((s) => s.scheduleId)).not.toContain(scheduleId);
    await expect(schedules.get(scheduleId)).rejects.toThrow(/schedule not found/);
  });

  it('fires an every-minute schedule as a signed delivery carrying Upstash-Schedule-Id', async () => {
    const url = `${destination()}/every-minute`;
    const schedules = qstash().schedules;
    const { scheduleId } = await schedules.create({
      destination: url,
      cron: '* * * * *',
      body: '{"task":"cleanup"}',
    });
    const { nextScheduleTime } = await schedules.get(scheduleId);
    expect(nextScheduleTime).toBeLessThanOrEqual(Date.now() + 60_000);

    const messageId = await triggerSchedule(scheduleId);
    const delivered = await drainDeliveries(answering(), { urlPrefix: url, maxWaitMs: 0 });
    await schedules.delete(scheduleId);

    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ messageId, body: '{"task":"cleanup"}' });
    expect(delivered[0]?.headers['Upstash-Schedule-Id']).toBe(scheduleId);
    const signature = delivered[0]?.headers['Upstash-Signature'] ?? '';
    await expect(
      new Receiver(keys).verify({ signature, body: '{"task":"cleanup"}', url }),
    ).resolves.toBe(true);
  });

  it('rejects a schedule whose cron is not five fields', async () => {
    await expect(
      qstash().schedules.create({ destination: destination(), cron: '* * *' }),
    ).rejects.toThrow(/invalid cron/);
  });
});

describe('local QStash: retry timing, timeouts and plan limits (issue 14)', () => {
  /** Publishes `body` to `url` with raw `Upstash-*` headers, as QStash's REST API takes them. */
  function publishRaw(url: string, headers: Record<string, string>, body = 'x') {
    return fetch(`${qstashUrl()}/v2/publish/${url}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${LOCAL_CREDENTIALS.qstashToken}`, ...headers },
      body,
    });
  }

  async function onlyMessage(base: string) {
    const [message, ...others] = await localQStashMessages(base);
    expect(others).toEqual([]);
    return message;
  }

  // The suite's QStash runs retry delays 1000× faster: one hour of delay is 3.6 s here.
  const HOUR_SCALED_MS = 3_600;

  it('waits for the Retry-After of a failed delivery before the next attempt', async () => {
    const base = destination();
    await qstash().publish({ url: base, body: 'x' });

    await drainDeliveries(
      async () => new Response('later', { status: 503, headers: { 'Retry-After': '3600' } }),
      {
        urlPrefix: base,
        maxWaitMs: 0,
      },
    );

    const message = await onlyMessage(base);
    expect(message).toMatchObject({ state: 'RETRY', retried: 1 });
    expect((message?.dueAt ?? 0) - Date.now()).toBeGreaterThan(HOUR_SCALED_MS - 1_000);
  });

  it('spaces retries by Upstash-Retry-Delay and refuses an expression QStash would not run', async () => {
    const base = destination();
    const published = await publishRaw(base, {
      'Upstash-Retry-Delay': '3600000 * pow(2, retried)',
    });
    expect(published.status).toBe(201);

    await drainDeliveries(answering(500), { urlPrefix: base, maxWaitMs: 0 });

    const message = await onlyMessage(base);
    expect(message).toMatchObject({ state: 'RETRY', retried: 1 });
    const wait = (message?.dueAt ?? 0) - Date.now();
    expect(wait).toBeGreaterThan(HOUR_SCALED_MS - 1_000);
    expect(wait).toBeLessThanOrEqual(HOUR_SCALED_MS);

    const invalid = await publishRaw(destination(), { 'Upstash-Retry-Delay': 'process.exit(1)' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: expect.stringContaining('Upstash-Retry-Delay'),
    });
  });

  it('fails an attempt answered after Upstash-Timeout, even with a 200', async () => {
    const base = destination();
    await publishRaw(base, { 'Upstash-Timeout': '1s', 'Upstash-Retries': '0' });

    await drainDeliveries(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        return new Response('too late');
      },
      { urlPrefix: base, maxWaitMs: 0 },
    );

    expect(await onlyMessage(base)).toMatchObject({
      state: 'FAILED',
      lastResponse: { status: 0, body: expect.stringContaining('timed out') },
    });
  });

  it('treats a 3xx answer as a failed attempt, without following it', async () => {
    const base = destination();
    await qstash().publish({ url: base, body: 'x', retries: 1 });

    const delivered = await drainDeliveries(
      async () =>
        new Response(null, { status: 302, headers: { Location: 'https://elsewhere.test/' } }),
      { urlPrefix: base },
    );

    expect(delivered.map((d) => [d.url, d.status])).toEqual([
      [base, 302],
      [base, 302],
    ]);
    expect(await onlyMessage(base)).toMatchObject({ state: 'FAILED' });
  });

  it("enforces the plan's retry cap and message size with QStash's errors", async () => {
    const tooManyRetries = publishRaw(destination(), { 'Upstash-Retries': '6' });
    expect((await tooManyRetries).status).toBe(400);

    const client = qstash();
    await expect(client.publish({ url: destination(), body: 'x', retries: 6 })).rejects.toThrow(
      /max retries of your plan: 5/,
    );
    await expect(
      client.publish({ url: destination(), body: 'x'.repeat(1024 * 1024 + 1) }),
    ).rejects.toThrow(/max message size/);
    const atLimit = await client.publish({ url: destination(), body: 'x'.repeat(1024 * 1024) });
    expect(atLimit.messageId).toMatch(/^msg_/);
  });
});
