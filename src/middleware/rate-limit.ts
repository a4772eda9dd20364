import { Ratelimit } from '@upstash/ratelimit';
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../context';
import { AppError } from '../lib/errors';
import { perSettings } from '../lib/per-settings';
import { clientIp } from '../lib/request-meta';
import { getRedis, type Redis, type RedisBatch } from '../platform/redis';
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
   * Who is counted: the client's network (`CF-Connecting-IP`; an IPv6 address counts for its
   * /64), the authenticated user (`c.get('user')`, falling back to the network when there is
   * none), an account named by the caller of {@link limit} (`account`), that account from this
   * network (`account+ip`), or a key of your own. A key that cannot be built refuses the request.
   */
  key: 'ip' | 'user' | 'account' | 'account+ip' | ((c: Context) => string | Promise<string>);
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

/**
 * What {@link API_POLICY} spares under the API prefix: exact paths and subtrees. Health and the
 * docs do no I/O worth limiting; the QStash webhook is authenticated by its signature. The app
 * applies the policy by it and the OpenAPI document declares the `RateLimit-*` headers by it.
 */
const API_POLICY_EXEMPT = {
  paths: ['/health', '/openapi.json', '/docs', '/redoc'],
  trees: ['/health/', '/jobs/'],
} as const;

/**
 * Whether `path` (under `prefix`, route patterns like `/items/{id}` included) is counted by
 * {@link API_POLICY}.
 */
export function underApiPolicy(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  const rest = path.slice(prefix.length);
  const { paths, trees } = API_POLICY_EXEMPT;
  return (
    !(paths as readonly string[]).includes(rest) && !trees.some((tree) => rest.startsWith(tree))
  );
}

/**
 * The one bucket shared by every request without a valid `CF-Connecting-IP` (only outside
 * Cloudflare's edge, or a misbehaving proxy): stricter for each of them than a bucket of its own.
 */
const UNVERIFIED_IP = 'ip:unverified';

/** The first four groups of an IPv6 address, expanded: the /64 one subscriber usually holds. */
function ipv6Network(address: string): string {
  let full = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(full);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    full = `${full.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = full.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  const groups = [...left, ...zeros, ...right].slice(0, 4);
  return `${groups.map((group) => group.padStart(4, '0')).join(':')}::/64`;
}

/** The network a request counts under: its IPv4 address, its IPv6 /64, or the shared bucket. */
function network<E extends AppEnv>(c: Context<E>): string {
  const ip = clientIp(c);
  if (ip) return ip.includes(':') ? `ip6:${ipv6Network(ip)}` : `ip:${ip}`;
  const header = c.req.header('CF-Connecting-IP');
  if (header !== undefined) {
    c.get('logger').warn(
      'CF-Connecting-IP is not an IP address; rate limited in the shared bucket',
      {
        value: header.slice(0, 64),
      },
    );
  }
  return UNVERIFIED_IP;
}

/**
 * Identifiers known to be over their limit, with the time their window resets. One per
 * isolate, shared by every policy (identifiers carry the policy name): a blocked client is
 * refused without a Redis call until its window resets.
 */
const blocked = new Map<string, number>();

/** What the sliding window asks of Redis (`safeEval` in `@upstash/ratelimit`): scripts only. */
type ScriptRunner = Pick<Redis, 'evalsha' | 'eval'>;

type LimitResult = Awaited<ReturnType<Ratelimit['limit']>>;

/**
 * `@upstash/ratelimit`'s own limiter (its algorithm, Lua script, Redis keys and block cache),
 * checked through a client given per call: the isolate's client, or a {@link RedisBatch} that
 * carries the check in a request with other commands. Counters are the same either way, and
 * those of any other `Ratelimit` with this prefix and window. Its `limit()` is not used: it
 * races every check against a timer of its own, where the client's timeout already bounds it.
 */
class Limiter extends Ratelimit {
  check(identifier: string, redis: ScriptRunner): Promise<LimitResult> {
    // The algorithm calls only `evalsha`, then `eval` on NOSCRIPT: a runner is enough. The key
    // is the library's own (its private `getKey`); test/middleware/preflight.test.ts checks that
    // counters stay shared with `Ratelimit.limit()`. Without analytics and deny lists, a
    // result's `pending` is always settled: nothing is left for `waitUntil`.
    return this.limiter().limit(
      { ...this.ctx, redis: redis as Redis },
      `${this.prefix}:${identifier}`,
    );
  }
}

const limiters = perSettings(() => new WeakMap<RateLimitPolicy, Limiter>());

function limiterFor(settings: Settings, policy: RateLimitPolicy): Limiter {
  const forSettings = limiters(settings);
  let limiter = forSettings.get(policy);
  if (!limiter) {
    const limit = typeof policy.limit === 'function' ? policy.limit(settings) : policy.limit;
    limiter = new Limiter({
      redis: getRedis(settings),
      limiter: Ratelimit.slidingWindow(limit, policy.window),
      prefix: `ratelimit:${policy.name}`,
      ephemeralCache: blocked,
      analytics: false,
    });
    forSettings.set(policy, limiter);
  }
  return limiter;
}

/** Who a request counts against, or a refusal when the policy's key cannot be built. */
async function identify<E extends AppEnv>(
  c: Context<E>,
  policy: RateLimitPolicy,
  account: string | undefined,
): Promise<string> {
  if (policy.key === 'ip') return network(c);
  if (policy.key === 'user') {
    const user = c.get('user');
    return user ? `user:${user.id}` : network(c);
  }
  const key =
    typeof policy.key === 'function' ? await policy.key(c) : account?.trim().toLowerCase();
  if (!key) {
    const message = `The request names no account for the rate limit ${policy.name}`;
    throw new AppError('VALIDATION_ERROR', {
      detail: message,
      errors: [{ path: 'body', message, code: 'invalid_type' }],
    });
  }
  return policy.key === 'account+ip' ? `key:${key}|${network(c)}` : `key:${key}`;
}

/** Redis could not be asked: refuse with 503 (`closed`) or let through with a warning (`open`). */
function unavailable<E extends AppEnv>(
  c: Context<E>,
  policy: RateLimitPolicy,
  error: unknown,
): void {
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
}

/**
 * Counts this request under `policy` (sliding window, `@upstash/ratelimit`), keyed on
 * `account` for the `account` and `account+ip` policies: call it in a handler with the
 * validated field the handler uses, so that what is limited is what is acted on. Sets
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on the response,
 * errors included; over the limit it throws 429 `RATE_LIMITED` with `Retry-After`. A check
 * costs one Redis request (a script), none for a client already blocked.
 *
 * @example
 * const { username } = c.req.valid('form');
 * await limit(c, LOGIN_ACCOUNT, username);
 */
export async function limit<E extends AppEnv>(
  c: Context<E>,
  policy: RateLimitPolicy,
  account?: string,
) {
  const apply = await checkIn(c, policy, c.get('redis'), account);
  await apply();
}

/**
 * Starts the check of `policy` through `redis` (the client, or a {@link RedisBatch} that sends
 * it later) and returns what applies its result (the headers, the 429, the failure policy). A
 * client already blocked costs nothing: its result is known. The check's failure is marked
 * handled here, as it may arrive long before its result is applied; applying it still throws.
 */
async function checkIn<E extends AppEnv>(
  c: Context<E>,
  policy: RateLimitPolicy,
  redis: ScriptRunner,
  account?: string,
): Promise<() => Promise<void>> {
  const identifier = await identify(c, policy, account);
  const checked = limiterFor(c.get('settings'), policy).check(identifier, redis);
  checked.catch(() => undefined);
  return () => enforce(c, policy, checked);
}

/**
 * {@link limit} for a policy keyed on the network, the user or a function of the request,
 * with its Redis request riding in `batch`: call it before `batch.send()`, and await the
 * function it returns after. A client already blocked is refused at once, adding nothing to
 * the batch (so a batch holding only other reads need not be sent).
 *
 * @example
 * const batch = new RedisBatch(c.get('redis'));
 * const settle = await limitIn(c, API_POLICY, batch);
 * const user = batch.get(key);
 * await batch.send();
 * await settle();
 */
export async function limitIn<E extends AppEnv>(
  c: Context<E>,
  policy: RateLimitPolicy,
  batch: RedisBatch,
): Promise<() => Promise<void>> {
  const before = batch.size;
  const settle = await checkIn(c, policy, batch);
  if (batch.size === before) await settle();
  return settle;
}

/** Marks the middleware {@link rateLimit} makes with its policy, for {@link routeLimitsIn}. */
const POLICY = Symbol('rate-limit policy');

type PolicyMiddleware = MiddlewareHandler<AppEnv> & { [POLICY]?: RateLimitPolicy };

/**
 * Adds to `batch` the checks of the `ip` policies that {@link rateLimit} puts on the route about
 * to answer this request (the first matched route with a method; the global middleware has
 * none), and returns what applies each once the batch is sent, by policy name (nothing when
 * the route has none): that route's `rateLimit()` awaits it instead of asking Redis itself.
 * So a route's own limit on the network costs no request of its own. The request counts from the moment it reaches the route's path
 * and method, even when refused before the route's middleware runs (a body over the size
 * limit, malformed JSON). Policies of other keys need what only the route knows (the user, an
 * account): they are checked there.
 */
export async function routeLimitsIn<E extends AppEnv>(
  c: Context<E>,
  batch: RedisBatch,
): Promise<Map<string, () => Promise<void>> | undefined> {
  const routes = matchedRoutes(c);
  const answering = routes.find((route) => route.method !== 'ALL');
  let checks: Map<string, () => Promise<void>> | undefined;
  for (const { handler, path, method } of routes) {
    const policy = (handler as PolicyMiddleware)[POLICY];
    const onAnswering = path === answering?.path && method === answering.method;
    if (policy?.key !== 'ip' || !onAnswering) continue;
    checks ??= new Map();
    checks.set(policy.name, await checkIn(c, policy, batch));
  }
  return checks;
}

/** Applies a check's result: the RateLimit-* headers, 429 over the limit, the failure policy. */
async function enforce<E extends AppEnv>(
  c: Context<E>,
  policy: RateLimitPolicy,
  checked: Promise<LimitResult>,
) {
  let result: LimitResult;
  try {
    result = await checked;
  } catch (error) {
    return unavailable(c, policy, error);
  }

  const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
  const headers = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(resetSeconds),
  };
  if (!result.success) {
    // Set on the context too: headers an earlier check set there would win over the error's.
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    throw new AppError('RATE_LIMITED', {
      detail: `Too many requests; retry in ${resetSeconds} s`,
      headers: { ...headers, 'Retry-After': String(resetSeconds) },
    });
  }
  // With several policies on a request, the headers describe the one closest to its limit.
  // What was reported is kept on the context: reading `c.res` before the handler has answered
  // would build a Response only to copy its headers into the real one.
  const reported = c.get('rateLimitRemaining');
  if (reported !== undefined && reported <= result.remaining) return;
  c.set('rateLimitRemaining', result.remaining);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

/**
 * {@link limit} as middleware, for policies keyed on the network, the user or a function of
 * the request. Account policies need the validated body: call {@link limit} from the handler.
 *
 * @example
 * router.use('/auth/jwt/login', rateLimit(LOGIN_IP));
 */
export function rateLimit(policy: RateLimitPolicy) {
  if (policy.key === 'account' || policy.key === 'account+ip') {
    throw new Error(`${policy.name}: an account policy is checked by limit() after validation`);
  }
  const middleware: PolicyMiddleware = createMiddleware<AppEnv>(async function rateLimit(c, next) {
    // Checked in the request's first Redis request when preflight() saw it coming.
    const sent = c.get('rateLimitChecks')?.get(policy.name);
    await (sent ? sent() : limit(c, policy));
    await next();
  });
  middleware[POLICY] = policy;
  return middleware;
}
