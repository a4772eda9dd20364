import { env } from 'cloudflare:test';
import { inject } from 'vitest';
import type { MailboxMessage } from '../../dev/local-cloud/mailbox/server';
import { deliverJobs } from './jobs';

export type { MailboxMessage as MailMessage };

/** Every message the local mailbox holds for `to`, oldest first. */
export async function mailTo(to: string): Promise<MailboxMessage[]> {
  const response = await fetch(
    `${inject('localCloud').mailbox}/messages?to=${encodeURIComponent(to)}`,
  );
  if (!response.ok) throw new Error(`mailbox answered ${response.status}`);
  return (await response.json()) as MailboxMessage[];
}

/**
 * Runs queued jobs until `to` has received `count` messages (e-mails are sent by a job that
 * QStash delivers), then returns them. Fails after `timeoutMs`.
 */
export async function waitForMail(
  to: string,
  count = 1,
  timeoutMs = 10_000,
): Promise<MailboxMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The default host's queue holds the verification mail of every account the suite's files
    // registered: a backlog, not a loop, so the guard is set above what the suite enqueues.
    await deliverJobs(env.PUBLIC_BASE_URL, {}, { maxDeliveries: 1000 });
    const messages = await mailTo(to);
    if (messages.length >= count) return messages;
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} e-mail(s) to ${to}, found ${messages.length}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The token of the first `?token=` link in a message. */
export function tokenFrom(message: MailboxMessage): string {
  const match = /[?&]token=([\w-]+)/.exec(message.text ?? message.html ?? '');
  if (!match?.[1]) throw new Error(`no token link in: ${message.text}`);
  return decodeURIComponent(match[1]);
}
