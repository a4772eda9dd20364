import type { Context } from 'hono';
import type { AppEnv } from '../../context';
import { limit, type RateLimitPolicy, rateLimit } from '../../middleware/rate-limit';

// Tight limits on the routes an attacker would hammer. They fail closed: with Redis
// unreachable these routes answer 503 rather than run unlimited. Per-IP limits run as route
// middleware; per-account limits run in the handler, keyed on the validated field it acts on.

const closed = { failure: 'closed' } as const;

/**
 * Password guesses against one account from one network: tight, and a stranger elsewhere
 * cannot use it to lock the owner out.
 */
const LOGIN_ACCOUNT_IP: RateLimitPolicy = {
  ...closed,
  name: 'login-account-ip',
  limit: 10,
  window: '5 m',
  key: 'account+ip',
};

/**
 * The ceiling on guesses against one account from everywhere (a botnet): looser, so that
 * locking the owner out takes far more traffic than the per-network limit.
 */
const LOGIN_ACCOUNT: RateLimitPolicy = {
  ...closed,
  name: 'login-account',
  limit: (settings) => settings.LOGIN_ACCOUNT_LIMIT_PER_HOUR,
  window: '1 h',
  key: 'account',
};

/** Reset and verification mails to one address. */
const EMAIL_REQUEST_ACCOUNT: RateLimitPolicy = {
  ...closed,
  name: 'email-request-account',
  limit: 3,
  window: '15 m',
  key: 'account',
};

export const limits = {
  login: [rateLimit({ ...closed, name: 'login-ip', limit: 20, window: '5 m', key: 'ip' })],
  register: [rateLimit({ ...closed, name: 'register-ip', limit: 10, window: '1 h', key: 'ip' })],
  refresh: [rateLimit({ ...closed, name: 'refresh-ip', limit: 60, window: '5 m', key: 'ip' })],
  emailRequest: [
    rateLimit({ ...closed, name: 'email-request-ip', limit: 10, window: '15 m', key: 'ip' }),
  ],
  token: [rateLimit({ ...closed, name: 'token-ip', limit: 10, window: '15 m', key: 'ip' })],
};

/** Counts a password check against `email`, the address the login will look up. */
export async function limitPasswordGuesses<E extends AppEnv>(c: Context<E>, email: string) {
  await limit(c, LOGIN_ACCOUNT_IP, email);
  await limit(c, LOGIN_ACCOUNT, email);
}

/** Counts an e-mail request (verification, reset) for `email`, the address it will write to. */
export async function limitEmailRequests<E extends AppEnv>(c: Context<E>, email: string) {
  await limit(c, EMAIL_REQUEST_ACCOUNT, email);
}
