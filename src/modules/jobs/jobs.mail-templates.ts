import { z } from 'zod';

/** Links in e-mails: absolute http(s) URLs only, never `javascript:` or `data:`. */
const link = z.url({ protocol: /^https?$/ });
const name = z.string().trim().min(1).max(100).optional();

/** A mail whose action is a single-use link. */
const linked = <T extends string>(template: T) =>
  z.object({ to: z.email(), template: z.literal(template), data: z.object({ link, name }) });

/**
 * The `send_email` task's payload: a template and what it interpolates. The mails carrying a
 * single-use token need their link; the password-changed notice has none.
 */
export const sendEmailPayload = z.discriminatedUnion('template', [
  linked('verify_email'),
  linked('change_email'),
  linked('reset_password'),
  linked('report_email_change'),
  z.object({
    to: z.email(),
    template: z.literal('password_changed'),
    data: z.object({ name }).default({}),
  }),
]);

export type SendEmailPayload = z.infer<typeof sendEmailPayload>;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes a value for HTML text and double-quoted attributes. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

interface Content {
  subject: string;
  /** Plain-text paragraphs; the action link goes after the first. */
  paragraphs: string[];
  action?: { label: string; link: string };
}

function content(payload: SendEmailPayload, project: string): Content {
  switch (payload.template) {
    case 'verify_email':
      return {
        subject: `Verify your e-mail address for ${project}`,
        paragraphs: [
          `Confirm that this address is yours to finish setting up your ${project} account.`,
          'If you did not create an account, ignore this e-mail.',
        ],
        action: { label: 'Verify my e-mail', link: payload.data.link },
      };
    case 'change_email':
      return {
        subject: `Confirm your new e-mail address for ${project}`,
        paragraphs: [
          `Someone asked to make this the e-mail address of a ${project} account. It takes effect once you confirm it.`,
          'If it was not you, ignore this e-mail: nothing changes.',
        ],
        action: { label: 'Confirm this address', link: payload.data.link },
      };
    case 'report_email_change':
      return {
        subject: `The e-mail address of your ${project} account is being changed`,
        paragraphs: [
          'Someone signed in to your account asked to move it to another e-mail address. This address stays the login until the new one is confirmed.',
          'If it was you, there is nothing to do. If not, the link gives the account this address back and signs out every session; then reset your password.',
        ],
        action: { label: 'It was not me', link: payload.data.link },
      };
    case 'reset_password':
      return {
        subject: `Reset your ${project} password`,
        paragraphs: [
          'Someone asked to reset the password of your account. The link works once and expires soon.',
          'If it was not you, ignore this e-mail: your password stays as it is.',
        ],
        action: { label: 'Choose a new password', link: payload.data.link },
      };
    case 'password_changed':
      return {
        subject: `Your ${project} password was changed`,
        paragraphs: [
          'The password of your account was just changed, and every session was signed out.',
          'If you did not do this, reset your password now and contact us.',
        ],
      };
  }
}

/**
 * Renders a `send_email` payload as a subject, a plain-text body and an HTML body. Every
 * interpolated value is escaped in the HTML.
 *
 * @example
 * const mail = renderMail({ to, template: 'verify_email', data: { link } }, 'Stratus');
 */
export function renderMail(payload: SendEmailPayload, project: string): RenderedMail {
  const { subject, paragraphs, action } = content(payload, project);
  const greeting = payload.data.name ? `Hello ${payload.data.name},` : 'Hello,';
  const text = [
    greeting,
    ...paragraphs.slice(0, 1),
    ...(action ? [`${action.label}: ${action.link}`] : []),
    ...paragraphs.slice(1),
    `— ${project}`,
  ].join('\n\n');
  const button = action
    ? `<p><a href="${escapeHtml(action.link)}">${escapeHtml(action.label)}</a></p>` +
      `<p>Or paste this link into your browser:<br>${escapeHtml(action.link)}</p>`
    : '';
  const html = [
    '<!doctype html><html><body>',
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(paragraphs[0] ?? '')}</p>`,
    button,
    ...paragraphs.slice(1).map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    `<p>— ${escapeHtml(project)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
