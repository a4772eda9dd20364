import { z } from 'zod';

/** Links in e-mails: absolute http(s) URLs only, never `javascript:` or `data:`. */
const link = z.url({ protocol: /^https?$/ });
const name = z.string().trim().min(1).max(100).optional();

/**
 * The `send_email` task's payload: a template and what it interpolates. Verification and
 * reset mails need their link; the password-changed notice has none.
 */
export const sendEmailPayload = z.discriminatedUnion('template', [
  z.object({
    to: z.email(),
    template: z.literal('verify_email'),
    data: z.object({ link, name }),
  }),
  z.object({
    to: z.email(),
    template: z.literal('reset_password'),
    data: z.object({ link, name }),
  }),
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
