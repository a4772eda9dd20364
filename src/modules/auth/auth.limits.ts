import type { Context } from 'hono';
import { rateLimit } from '../../middleware/rate-limit';

/**
 * The account a request is about, read from its body (form or JSON) for per-account limits.
 * Hono caches the parsed body, so the validator after this reads it again for free.
 */
async function accountKey(c: Context): Promise<string> {
  try {
    const body = (c.req.header('Content-Type') ?? '').includes('json')
      ? ((await c.req.json()) as Record<string, unknown>)
      : await c.req.parseBody();
    const account = body.username ?? body.email;
    return typeof account === 'string' ? account.trim().toLowerCase() : '';
  } catch {
    return '';
  }
}

/**
 * Tight limits on the routes an attacker would hammer: per client IP, and per account where
 * the body names one. They fail closed: with Redis unreachable these routes answer 503 rather
 * than run unlimited.
 */
export const limits = {
  login: [
    rateLimit({ name: 'login-ip', limit: 20, window: '5 m', key: 'ip', failure: 'closed' }),
    rateLimit({
      name: 'login-account',
      limit: 10,
      window: '5 m',
      key: accountKey,
      failure: 'closed',
    }),
  ],
  register: [
    rateLimit({ name: 'register-ip', limit: 10, window: '1 h', key: 'ip', failure: 'closed' }),
  ],
  refresh: [
    rateLimit({ name: 'refresh-ip', limit: 60, window: '5 m', key: 'ip', failure: 'closed' }),
  ],
  emailRequest: [
    rateLimit({
      name: 'email-request-ip',
      limit: 10,
      window: '15 m',
      key: 'ip',
      failure: 'closed',
    }),
    rateLimit({
      name: 'email-request-account',
      limit: 3,
      window: '15 m',
      key: accountKey,
      failure: 'closed',
    }),
  ],
  token: [rateLimit({ name: 'token-ip', limit: 10, window: '15 m', key: 'ip', failure: 'closed' })],
};
