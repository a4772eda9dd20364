import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Receiver } from '@upstash/qstash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailbox } from '../../dev/local-cloud/mailbox/server';
import { startQStash } from '../../dev/local-cloud/qstash/server';
import type { RunningService } from '../../dev/local-cloud/service';
import { LOCAL_CREDENTIALS } from '../../dev/local-cloud/service';
import { until } from './until';

const keys = {
  currentSigningKey: LOCAL_CREDENTIALS.qstashCurrentSigningKey,
  nextSigningKey: LOCAL_CREDENTIALS.qstashNextSigningKey,
};

interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Deliveries here are local and quick: poll often, give up soon. */
const soon = { timeoutMs: 5_000, intervalMs: 10 };

// The workerd suite runs QStash in `pull` mode; `npm run dev` uses `http` mode, tested here.
describe('local QStash in http mode', () => {
  let qstash: RunningService;
  let destination: ReturnType<typeof createServer>;
  let origin: string;
  const received: Received[] = [];
  const statuses: number[] = [];

  beforeAll(async () => {
    destination = createServer(async (request, response) => {
      const body = await readBody(request);
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      received.push({ url: `${origin}${request.url}`, headers, body });
      response.writeHead(statuses.shift() ?? 200).end('answer');
    });
    await new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(destination.address() as AddressInfo).port}`;
    qstash = await startQStash({
      port: 0,
      token: LOCAL_CREDENTIALS.qstashToken,
      ...keys,
      delivery: 'http',
      backoffScale: 0.001,
    });
  });

  afterAll(async () => {
    await qstash.close();
    await new Promise((resolve) => destination.close(resolve));
  });

  it('POSTs a signed delivery to its destination and retries it after a 500', async () => {
    statuses.push(500);
    const client = new Client({ baseUrl: qstash.url, token: LOCAL_CREDENTIALS.qstashToken });
    const url = `${origin}/api/v1/jobs/send-email`;
    await client.publishJSON({ url, body: { to: 'ada@example.com' } });

    const attempts = await until(
      () => (received.length >= 2 ? received.slice(0, 2) : undefined),
      soon,
    );

    expect(attempts.map((a) => a.headers['upstash-retried'])).toEqual(['0', '1']);
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ url, body: '{"to":"ada@example.com"}' });
      expect(attempt.headers['content-type']).toBe('application/json');
      const signature = attempt.headers['upstash-signature'] ?? '';
      await expect(new Receiver(keys).verify({ signature, body: attempt.body, url })).resolves.toBe(
        true,
      );
    }
  });

  it('dead-letters a message whose destination cannot be reached', async () => {
    const client = new Client({ baseUrl: qstash.url, token: LOCAL_CREDENTIALS.qstashToken });
    const url = 'http://127.0.0.1:9/unreachable';
    const { messageId } = await client.publish({ url, body: 'x', retries: 1 });

    const dead = await until(async () => {
      const { messages } = await client.dlq.listMessages({ filter: { url } });
      return messages.length > 0 ? messages : undefined;
    }, soon);

    expect(dead).toEqual([expect.objectContaining({ messageId, url, responseStatus: 0 })]);
  });

  it('refuses to hand deliveries to a test runner, since it pushes them itself', async () => {
    const response = await fetch(`${qstash.url}/__local/deliveries/claim`, { method: 'POST' });
    expect(response.status).toBe(409);
  });
});

describe('local mailbox', () => {
  it('empties on DELETE /messages', async () => {
    const mailbox = await startMailbox({ port: 0, apiKey: LOCAL_CREDENTIALS.resendApiKey });
    try {
      await fetch(`${mailbox.url}/emails`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${LOCAL_CREDENTIALS.resendApiKey}` },
        body: JSON.stringify({
          from: 'a@stratus.test',
          to: 'b@example.com',
          subject: 's',
          text: 't',
        }),
      });
      expect(await (await fetch(`${mailbox.url}/messages`)).json()).toHaveLength(1);

      expect((await fetch(`${mailbox.url}/messages`, { method: 'DELETE' })).status).toBe(204);
      expect(await (await fetch(`${mailbox.url}/messages`)).json()).toEqual([]);
    } finally {
      await mailbox.close();
    }
  });
});
