import { Ratelimit } from '@upstash/ratelimit';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context';
import { AppError } from '../lib/errors';
import { perSettings } from '../lib/per-settings';
import { getRedis, REDIS_TIMEOUT_MS } from '../platform/redis';
import { type Settings, SettingsError } from '../settings';

type Window = `${number} ${'ms' | 's' | 'm' | 'h' | 'd'}`;

/**
 * A rate limit, declared next to the route it protects.
 *
 * @example
 * export const LOGIN_IP: RateLimitPolicy = {
 *   name: 'login-ip', limit: 5, window: '1 m', key: 'ip', failure: 'closed',
 * };
 */
export interface RateLimitPolicy {
  /** Unique: it names the Redis keys, so two policies with one name share their counters. */
  name: string;
  /** Requests allowed per sliding `window`, or a function of the settings. */
  limit: number | ((settings: Settings) => number);
  window: Window;
  /**
   * Who is counted: the client IP (`CF-Connecting-IP`), the authenticated user (`c.get('user')`,
   * falling back to the IP when there is none), or a key of your own (e.g. the e-mail of a login;
   * an empty key means the request has nothing to count under this policy).
   */
  key: 'ip' | 'user' | ((c: Context<AppEnv>) => string | Promise<string>);
  /**
   * When Redis cannot be reached: `closed` refuses with 503 (auth routes, where an unlimited
   * attacker is worse than an outage), `open` lets the request through and logs a warning.
   */
  failure: 'closed' | 'open';
}

/**
 * The default policy of every API route except health and the QStash webhook: generous,
 * per IP, failing open. Its limit is `RATE_LIMIT_PER_MINUTE`.
 */
export const API_POLICY: RateLimitPolicy = {
  name: 'api',
  limit: (settings) => settings.RATE_LIMIT_PER_MINUTE,
  window: '1 m',
  key: 'ip',
  failure: 'open',
};

/** The key used for requests without `CF-Connecting-IP` (only outside Cloudflare's edge). */
const UNKNOWN_IP = 'unknown';

/**
 * Identifiers known to be over their limit, with the time their window resets. One per
 * isolate, shared by every policy (identifiers carry the policy name): a blocked client is
 * refused without a Redis call until its window resets.
 */
const blocked = new Map<string, number>();

const limiters = perSettings(() => new WeakMap<RateLimitPolicy, Ratelimit>());

function limiterFor(settings: Settings, policy: RateLimitPolicy): Ratelimit {
  const forSettings = limiters(settings);
  let limiter = forSettings.get(policy);
  if (!limiter) {
    const limit = typeof policy.limit === 'function' ? policy.limit(settings) : policy.limit;
    limiter = new Ratelimit({
      redis: getRedis(settings),
      limiter: Ratelimit.slidingWindow(limit, policy.window),
      prefix: `ratelimit:${policy.name}`,
      ephemeralCache: blocked,
      timeout: REDIS_TIMEOUT_MS,
      analytics: false,
    });
    forSettings.set(policy, limiter);
  }
  return limiter;
}

/** Who a request counts against; `null` when a custom key finds nothing to count (no limit). */
async function identify(c: Context<AppEnv>, policy: RateLimitPolicy): Promise<string | null> {
  const ip = () => `ip:${c.req.header('CF-Connecting-IP') ?? UNKNOWN_IP}`;
  if (policy.key === 'ip') return ip();
  if (policy.key === 'user') {
    const user = c.get('user');
    return user ? `user:${user.id}` : ip();
  }
  const key = await policy.key(c);
  return key ? `key:${key}` : null;
}

/** Redis could not be asked: refuse with 503 (`closed`) or let through with a warning (`open`). */
function unavailable(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  error: unknown,
  next: () => Promise<void>,
): Promise<void> {
  if (error instanceof SettingsError) throw error;
  if (policy.failure === 'closed') {
    throw new AppError('SERVICE_UNAVAILABLE', {
      detail: 'The rate limiter is unavailable; try again shortly',
      headers: { 'Retry-After': '5' },
      cause: error,
    });
  }
  c.get('logger').warn('rate limiter unreachable, allowing request', {
    policy: policy.name,
    error: error instanceof Error ? error.message : String(error),
  });
  return next();
}

/**
 * Limits requests with `@upstash/ratelimit` (sliding window) under `policy`. Every response
 * it passes, errors included, carries `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds); over the limit it answers 429 `RATE_LIMITED` with `Retry-After`.
 * A check costs one Redis request (a script), none for a client already blocked.
 *
 * @example
 * router.use('/auth/jwt/login', rateLimit(LOGIN_IP), rateLimit(LOGIN_ACCOUNT));
 */
export function rateLimit(policy: RateLimitPolicy) {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const identifier = await identify(c, policy);
    if (identifier === null) return next();
    let result: Awaited<ReturnType<Ratelimit['limit']>>;
    try {
      result = await limiterFor(c.get('settings'), policy).limit(identifier);
    } catch (error) {
      return unavailable(c, policy, error, next);
    }
    // On its own timeout the library answers "allowed": that is Redis being unreachable too.
    if (result.reason === 'timeout') {
      const error = new Error(`Redis did not answer in ${REDIS_TIMEOUT_MS} ms`);
      return unavailable(c, policy, error, next);
    }
    c.executionCtx.waitUntil(result.pending);

    const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
    const headers = {
      'RateLimit-Limit': String(result.limit),
      'RateLimit-Remaining': String(result.remaining),
      'RateLimit-Reset': String(resetSeconds),
    };
    if (!result.success) {
      throw new AppError('RATE_LIMITED', {
        detail: `Too many requests; retry in ${resetSeconds} s`,
        headers: { ...headers, 'Retry-After': String(resetSeconds) },
      });
    }
    await next();
    // With several policies on a route, the headers describe the one closest to its limit.
    const reported = c.res.headers.get('RateLimit-Remaining');
    if (reported !== null && Number(reported) <= result.remaining) return;
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
}
