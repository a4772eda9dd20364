import { afterEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/modules/jobs/jobs.service';
import { faultScope } from '../helpers/faults';
import { deliverJobs, qstashClient, settingsWith } from '../helpers/jobs';
import { mailTo } from '../helpers/mail';
import { uniqueEmail } from '../helpers/users';
import { API } from '../helpers/worker';

/** This file's public host: QStash delivers its jobs there, and only this file drains it. */
const BASE = 'http://faults-mail.localhost:8787';
const faults = faultScope();
afterEach(() => faults.clear());

const verifyEmail = (to: string) => ({
  to,
  template: 'verify_email' as const,
  data: { link: `${BASE}/verify?token=abc`, name: 'Ada' },
});

describe('mail API failing (issue 15)', () => {
  it('retries the e-mail job, then leaves it in the DLQ; the next one is sent once the API is back', async () => {
    const settings = settingsWith({ PUBLIC_BASE_URL: BASE });
    const to = uniqueEmail('mail-down');
    const messageId = await enqueue({ settings }, 'send_email', verifyEmail(to), { retries: 2 });

    await faults.set('mailbox', { mode: 'error', status: 500 });
    const delivered = await deliverJobs(
      BASE,
      { ...faults.settings, LOG_LEVEL: 'warn' },
      { maxWaitMs: 5_000 },
    );
    const attempts = delivered.filter((d) => d.messageId === messageId);
    expect(attempts.map((d) => [d.retried, d.status])).toEqual([
      [0, 500],
      [1, 500],
      [2, 500],
    ]);
    const { messages } = await qstashClient().dlq.listMessages({
      filter: { url: `${BASE}${API}/jobs/send_email` },
    });
    expect(messages.map((m) => m.messageId)).toContain(messageId);
    expect(await mailTo(to)).toEqual([]);

    await faults.clear();
    const next = await enqueue({ settings }, 'send_email', verifyEmail(to));
    const recovered = await deliverJobs(BASE, faults.settings);
    expect(recovered.filter((d) => d.messageId === next).map((d) => d.status)).toEqual([200]);
    expect(await mailTo(to)).toHaveLength(1);
  });
});
