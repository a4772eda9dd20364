import { describe, expect, it } from 'vitest';
import { renderMail } from '../../../src/modules/jobs/jobs.mail-templates';
import { deliverJobs } from '../../helpers/jobs';
import { mailTo } from '../../helpers/mail';
import { clientIp, PASSWORD, uniqueEmail } from '../../helpers/users';
import { API, callWith } from '../../helpers/worker';

/** This file's public host: the e-mails its requests enqueue are delivered there. */
const BASE = 'http://jobs-mail.localhost:8787';

describe('send_email, end to end', () => {
  it('takes a registration’s verification e-mail from the route through QStash to the mailbox', async () => {
    const email = uniqueEmail('e2e');
    const registered = await callWith({ PUBLIC_BASE_URL: BASE }, `${API}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
      body: JSON.stringify({ email, password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace' }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    expect(await mailTo(email)).toEqual([]);

    const delivered = await deliverJobs(BASE);

    expect(delivered.map((d) => [d.url, d.status])).toEqual([
      [`${BASE}${API}/jobs/send_email`, 200],
    ]);
    const mail = await mailTo(email);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({
      from: 'Stratus <no-reply@stratus.test>',
      subject: 'Verify your e-mail address for Stratus',
    });
    expect(mail[0]?.text).toMatch(new RegExp(`^Hello Ada,[\\s\\S]*${BASE}/verify\\?token=[\\w-]+`));
    expect(mail[0]?.html).toMatch(new RegExp(`<a href="${BASE}/verify\\?token=[\\w-]+">`));
  });
});

describe('mail templates', () => {
  it('escapes interpolated values in the HTML part', () => {
    const mail = renderMail(
      {
        to: 'ada@example.com',
        template: 'reset_password',
        data: {
          link: 'https://app.example/reset?token=a&b="c"',
          name: '<script>alert(1)</script>',
        },
      },
      'Stratus & Co',
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(mail.html).toContain('href="https://app.example/reset?token=a&amp;b=&quot;c&quot;"');
    expect(mail.html).toContain('Stratus &amp; Co');
    expect(mail.text).toContain('https://app.example/reset?token=a&b="c"');
  });

  it.each([
    ['verify_email', 'Verify your e-mail address for Stratus'],
    ['reset_password', 'Reset your Stratus password'],
    ['password_changed', 'Your Stratus password was changed'],
  ] as const)('renders %s with a subject, a text and an HTML part', (template, subject) => {
    const data = template === 'password_changed' ? {} : { link: 'https://app.example/x?token=t' };
    const mail = renderMail({ to: 'ada@example.com', template, data } as never, 'Stratus');
    expect(mail.subject).toBe(subject);
    expect(mail.text.length).toBeGreaterThan(50);
    expect(mail.html).toMatch(/^<!doctype html>.*<\/html>$/);
  });
});
