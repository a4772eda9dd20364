import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxMessage } from '../../dev/local-cloud/mailbox/server';
import { type DevStack, hasChromium, launchChromium, startDevStack } from './dev-stack';
import { until } from './until';

const PASSWORD = 'Str0ngPassword';

describe.skipIf(!hasChromium)(
  'the pages the e-mail links lead to, in a real browser, with no front end configured (issue 17)',
  () => {
    let stack: DevStack;
    let browser: Browser;
    let context: BrowserContext;
    /** CSP violations and uncaught errors of every page the test opens. */
    const problems: string[] = [];

    beforeAll(async () => {
      // No FRONTEND_URL: the links in e-mails point at the Worker itself, as in development.
      stack = await startDevStack();
      browser = await launchChromium();
      context = await browser.newContext();
      // Under the test's own timeout, so a failure names the locator it waited for.
      context.setDefaultTimeout(10_000);
      context.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text()))
          problems.push(message.text());
      });
      context.on('weberror', (error) => problems.push(error.error().message));
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    let accounts = 0;
    const uniqueEmail = (label: string) => `${label}-${Date.now()}-${++accounts}@example.com`;

    function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
      return fetch(`${stack.api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    }

    async function register(label: string): Promise<string> {
      const email = uniqueEmail(label);
      const response = await postJson('/auth/register', {
        email,
        password: PASSWORD,
        first_name: 'Link',
        last_name: 'Pages',
      });
      expect(response.status).toBe(201);
      return email;
    }

    function login(email: string, password: string) {
      return fetch(`${stack.api}/auth/jwt/login`, {
        method: 'POST',
        body: new URLSearchParams({ username: email, password }),
      });
    }

    async function me(email: string, password: string) {
      const response = await login(email, password);
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      const user = await fetch(`${stack.api}/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      return { accessToken: access_token, user: (await user.json()) as Record<string, unknown> };
    }

    /** The link to `path` in the e-mail `to` received, read from the mailbox's HTTP API. */
    async function linkFromMailbox(to: string, path: string): Promise<string> {
      const pattern = new RegExp(`https?://[^\\s"<]+${path}\\?token=[\\w-]+`);
      return until(async () => {
        const response = await fetch(
          `${stack.cloud.urls.mailbox}/messages?to=${encodeURIComponent(to)}`,
        );
        const messages = (await response.json()) as MailboxMessage[];
        return messages.map((message) => pattern.exec(message.text ?? '')?.[0]).find(Boolean);
      });
    }

    /** Opens `link` in a new tab, as a click in the e-mail would. */
    async function open(link: string): Promise<Page> {
      const page = await context.newPage();
      await page.goto(link);
      return page;
    }

    const status = (page: Page) => page.locator('#status');

    it('verifies the address when the link of the verification e-mail is followed', async () => {
      const email = await register('verify');
      const link = await linkFromMailbox(email, '/verify');
      expect(link.startsWith(`${stack.origin}/verify?token=`)).toBe(true);

      const page = await context.newPage();
      const [request] = await Promise.all([
        page.waitForRequest((request) => request.url().endsWith('/api/v1/auth/verify')),
        page.goto(link),
      ]);
      await status(page).getByText(`Your e-mail address ${email} is verified.`).waitFor();
      // The token left the address bar (and the history), and no request carried it as a referrer.
      expect(page.url()).toBe(`${stack.origin}/verify`);
      expect(request.headers().referer ?? '').toBe('');
      expect((await me(email, PASSWORD)).user).toMatchObject({ email, is_verified: true });

      // The link works once: followed again, the page says why nothing happened.
      const again = await open(link);
      await status(again).getByText('Invalid or expired verification token').waitFor();
      await expect.poll(() => status(again).textContent()).toContain('ask for a new e-mail');
      expect(problems).toEqual([]);
    });

    it('sets a new password through the reset page, which logs in while the old one no longer does', async () => {
      const email = await register('reset');
      expect((await postJson('/auth/forgot-password', { email })).status).toBe(202);
      const link = await linkFromMailbox(email, '/reset-password');

      const page = await open(link);
      expect(page.url()).toBe(`${stack.origin}/reset-password`);
      const password = page.getByLabel('New password');
      const confirmation = page.getByLabel('The same password again');
      const submit = page.getByRole('button', { name: 'Set the new password' });

      await password.fill('N3wPassword');
      await confirmation.fill('N3wPasswort');
      await submit.click();
      await status(page).getByText('The two passwords differ.').waitFor();

      // The API's rules, in its own words (its 422 problem).
      await password.fill('weakpassword');
      await confirmation.fill('weakpassword');
      await submit.click();
      await status(page).getByText('Password must contain at least one digit').waitFor();
      await expect
        .poll(() => status(page).textContent())
        .toContain('Password must contain at least one uppercase letter');
      expect((await login(email, PASSWORD)).status).toBe(200);

      await password.fill('N3wPassword');
      await confirmation.fill('N3wPassword');
      await submit.click();
      await status(page).getByText('Your password is changed.').waitFor();
      expect(await page.locator('#reset-form').isHidden()).toBe(true);
      expect((await login(email, 'N3wPassword')).status).toBe(200);
      const old = await login(email, PASSWORD);
      expect(old.status).toBe(400);
      expect(await old.json()).toMatchObject({ code: 'LOGIN_BAD_CREDENTIALS' });

      // The used link: the form is refused with the API's reason, and the password stays.
      const again = await open(link);
      await again.getByLabel('New password').fill('An0therPassword');
      await again.getByLabel('The same password again').fill('An0therPassword');
      await again.getByRole('button', { name: 'Set the new password' }).click();
      await status(again).getByText('Invalid or expired reset token').waitFor();
      expect(await again.locator('#reset-form').isHidden()).toBe(true);
      expect((await login(email, 'N3wPassword')).status).toBe(200);
      expect(problems).toEqual([]);
    });

    it('confirms a new address through /verify, and gives the old one back through /report-email-change', async () => {
      const email = await register('moving');
      const { accessToken } = await me(email, PASSWORD);
      const next = uniqueEmail('moved');
      const changed = await fetch(`${stack.api}/users/me`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: next, current_password: PASSWORD }),
      });
      expect(changed.status).toBe(200);

      const confirm = await open(await linkFromMailbox(next, '/verify'));
      await status(confirm).getByText(`Your e-mail address ${next} is verified.`).waitFor();
      expect((await me(next, PASSWORD)).user).toMatchObject({ email: next, is_verified: true });

      const report = await open(await linkFromMailbox(email, '/report-email-change'));
      await report.getByRole('button', { name: 'Give my account this address back' }).click();
      await status(report).getByText('The account has its old address back').waitFor();
      expect((await me(email, PASSWORD)).user).toMatchObject({ email });
      expect((await login(next, PASSWORD)).status).toBe(400);
      expect(problems).toEqual([]);
    });
  },
);
