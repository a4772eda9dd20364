import type { Logger } from '../lib/logger';
import { type Settings, SettingsError } from '../settings';

/** One rendered e-mail to one recipient. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * Makes a resend of the same message a no-op at the provider (Resend keeps keys for 24 h):
   * jobs pass their QStash message id, so a retry after a crash does not send twice.
   */
  idempotencyKey?: string;
}

/**
 * The provider refused the message. `retryable` is false when sending it again cannot work
 * (an invalid address or body), true for throttling, outages and credentials being fixed.
 */
export class MailError extends Error {
  override readonly name = 'MailError';
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface MailDeps {
  settings: Settings;
  logger: Logger;
}

/** Statuses after which Resend will refuse the same message again. */
const PERMANENT = new Set([400, 422]);

/**
 * Whether sending the same request again cannot work. Resend's 409 is both: the idempotency
 * key was used with another body (`invalid_idempotent_request`, final), or a request with the
 * same key is still in flight (`concurrent_idempotent_requests`, worth retrying).
 */
function isPermanent(status: number, errorName: string | undefined): boolean {
  if (status === 409) return errorName === 'invalid_idempotent_request';
  return PERMANENT.has(status);
}

/** The `name` of Resend's error body `{ statusCode, name, message }`, if it is one. */
function resendErrorName(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const name = typeof body === 'object' && body !== null ? Reflect.get(body, 'name') : undefined;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

async function sendWithResend(settings: Settings, message: MailMessage): Promise<void> {
  if (!settings.RESEND_API_KEY) {
    throw new SettingsError('EMAIL_PROVIDER=resend needs RESEND_API_KEY');
  }
  const response = await fetch(`${settings.RESEND_API_URL.replace(/\/$/, '')}/emails`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${settings.RESEND_API_KEY}`,
      'Content-Type': 'application/json',
      ...(message.idempotencyKey && { 'Idempotency-Key': message.idempotencyKey }),
    },
    body: JSON.stringify({
      from: settings.EMAIL_FROM,
      to: [message.to],
      subject: message.subject,
      text: message.text,
      html: message.html,
    }),
  });
  if (!response.ok) {
    const text = await response.text();
    throw new MailError(
      `Resend answered ${response.status}: ${text.slice(0, 500)}`,
      response.status,
      !isPermanent(response.status, resendErrorName(text)),
    );
  }
}

/**
 * Sends an e-mail with the provider of `EMAIL_PROVIDER`: `resend` POSTs it to
 * `${RESEND_API_URL}/emails` (Resend, or the local cloud's mailbox), `log` only writes it to
 * the log, its one-time tokens redacted like every secret in a log line (read the links in the
 * local cloud's mailbox).
 *
 * @throws {MailError} when the provider refuses the message; network errors propagate.
 * @example
 * await sendMail({ settings, logger }, { to: 'ada@example.com', subject, text, html });
 */
export async function sendMail(deps: MailDeps, message: MailMessage): Promise<void> {
  if (deps.settings.EMAIL_PROVIDER === 'log') {
    deps.logger.info('email (log provider, not sent)', {
      to: message.to,
      subject: message.subject,
      text: message.text,
    });
    return;
  }
  await sendWithResend(deps.settings, message);
}
