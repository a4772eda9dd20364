import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@upstash/qstash';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../dev/local-cloud/service';
import { type DevStack, hasChromium, launchChromium, startDevStack } from './dev-stack';
import { until } from './until';

/**
 * What the test plays besides the Worker: the front end that verification links point at
 * (it records the URLs it is opened with) and a webhook that fails until it is "fixed".
 */
function startFrontEnd() {
  const opened: string[] = [];
  const state = { hookFixed: false, hookCalls: 0 };
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/hook')) {
      state.hookCalls += 1;
      response.writeHead(state.hookFixed ? 200 : 500).end(state.hookFixed ? 'ok' : 'broken');
      return;
    }
    opened.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'text/html' }).end('<p>front end</p>');
  });
  return { server, opened, state };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.skipIf(!hasChromium)('the local cloud console, in a real browser (issue 16)', () => {
  let stack: DevStack;
  let cloud: DevStack['cloud'];
  let api: string;
  let browser: Browser;
  let page: Page;
  const frontEnd = startFrontEnd();
  let frontEndUrl: string;
  const violations: string[] = [];

  beforeAll(async () => {
    frontEndUrl = await listen(frontEnd.server);
    stack = await startDevStack(() => ({ FRONTEND_URL: frontEndUrl }));
    ({ cloud, api } = stack);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        violations.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    frontEnd.server.close();
  });

  it('shows the verification e-mail of POST /auth/register, whose link verifies the account', async () => {
    const email = `console-${Date.now()}@example.com`;
    const registered = await fetch(`${api}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email,
        password: 'Str0ngPassword',
        first_name: 'Con',
        last_name: 'Sole',
      }),
    });
    expect(registered.status).toBe(201);

    const response = await page.goto(cloud.urls.console);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    const entry = page.locator('#mail-list button', { hasText: `to ${email}` });
    await entry.waitFor({ timeout: 20_000 });
    await entry.click();

    const link = page
      .frameLocator('#mail-view iframe')
      .locator('a[href*="/verify?token="]')
      .first();
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBe(1);
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await popup.waitForLoadState();
    const opened = await until(async () =>
      frontEnd.opened.find((url) => url.startsWith('/verify')),
    );
    await popup.close();

    const token = new URL(opened, frontEndUrl).searchParams.get('token');
    const verified = await fetch(`${api}/auth/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ email, is_verified: true });
  });

  it('lists a dead-lettered QStash message and retries it from its button', async () => {
    const qstash = new Client({
      baseUrl: cloud.urls.qstash,
      token: LOCAL_CREDENTIALS.qstashToken,
      retry: false,
    });
    const { messageId } = await qstash.publishJSON({
      url: `${frontEndUrl}/hook`,
      body: { hello: 'console' },
      retries: 0,
    });
    const [dead] = await until(async () => {
      const { messages } = await qstash.dlq.listMessages();
      const found = messages.filter((message) => message.messageId === messageId);
      return found.length > 0 ? found : undefined;
    });
    await page.goto(cloud.urls.console);
    const row = page.locator(`#dlq tr[data-dlq-id="${dead?.dlqId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.textContent()).toContain('/hook');
    await expect.poll(() => row.textContent()).toContain('500');

    frontEnd.state.hookFixed = true;
    await row.getByRole('button', { name: 'Retry' }).click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });

    const { messages } = await qstash.dlq.listMessages();
    expect(messages.map((message) => message.dlqId)).not.toContain(dead?.dlqId);
    const delivered = page.locator('#messages tr', { hasText: '/hook' }).filter({
      hasText: 'DELIVERED',
    });
    await delivered.waitFor({ timeout: 10_000 });
    expect(frontEnd.state.hookCalls).toBe(2);
  });

  it('deletes a dead-lettered message from its button', async () => {
    frontEnd.state.hookFixed = false;
    const qstash = new Client({
      baseUrl: cloud.urls.qstash,
      token: LOCAL_CREDENTIALS.qstashToken,
      retry: false,
    });
    const { messageId } = await qstash.publishJSON({ url: `${frontEndUrl}/hook`, retries: 0 });
    const dead = await until(async () => {
      const { messages } = await qstash.dlq.listMessages();
      return messages.find((message) => message.messageId === messageId);
    });
    const row = page.locator(`#dlq tr[data-dlq-id="${dead.dlqId}"]`);
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    const { messages } = await qstash.dlq.listMessages();
    expect(messages.map((message) => message.dlqId)).not.toContain(dead.dlqId);
    expect(violations).toEqual([]);
  });

  it('answers only requests naming a loopback host, and refuses cross-origin POSTs', async () => {
    const rebound = await page.request.get(cloud.urls.console, {
      headers: { host: 'attacker.example' },
    });
    expect(rebound.status()).toBe(403);
    const crossSite = await page.request.post(`${cloud.urls.console}/api/dlq/dlq_x/delete`, {
      headers: { origin: 'http://attacker.example' },
    });
    expect(crossSite.status()).toBe(403);
  });
});
