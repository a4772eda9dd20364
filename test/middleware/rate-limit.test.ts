import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, inject, it } from 'vitest';
import type { AppEnv, AppVariables } from '../../src/context';
import { AppError, problemResponse } from '../../src/lib/errors';
import { type RateLimitPolicy, rateLimit } from '../../src/middleware/rate-limit';
import { services } from '../../src/middleware/services';
import { capturingLogs } from '../helpers/logs';
import { clientIp } from '../helpers/users';
import type { Overrides } from '../helpers/worker';
import { API, call, DEAD_ENDPOINT, readProblem } from '../helpers/worker';

/** A policy of its own per test: names key the Redis counters, which tests must not share. */
function policy(overrides: Partial<RateLimitPolicy> = {}): RateLimitPolicy {
  return {
    name: `test-${crypto.randomUUID()}`,
    limit: 5,
    // Long, so no test straddles two windows (the sliding window would then count both).
    window: '1 h',
    key: 'ip',
    failure: 'closed',
    ...overrides,
  };
}

/**
 * A small app with the real services middleware and `rateLimit(policy)` for each of `limits`
 * on two routes: one that answers 200 and one that throws. `X-Test-User` plays the
 * authenticated user.
 */
function appWith(...limits: [RateLimitPolicy, ...RateLimitPolicy[]]) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(services());
  app.use(async (c, next) => {
    const id = c.req.header('X-Test-User');
    if (id) c.set('user', { id: Number(id) } as AppVariables['user']);
    await next();
  });
  for (const limit of limits) app.use(rateLimit(limit));
  app.get('/ok', (c) => c.json({ ok: true }));
  app.get('/fails', () => {
    throw new AppError('NOT_FOUND', { detail: 'nothing here' });
  });
  app.onError((error, c) =>
    problemResponse(c, error instanceof AppError ? error : new AppError('INTERNAL_ERROR')),
  );
  return async (path: string, headers: Record<string, string> = {}, overrides: Overrides = {}) => {
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`http://localhost${path}`, { headers }),
      { ...env, ...overrides },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };
}

const redisUrl = () => inject('localCloud').redis;

/** Requests the local Redis received under `tag` (a `/__tag/<tag>` URL prefix). */
async function redisRequests(tag: string): Promise<number> {
  const response = await fetch(`${redisUrl()}/__local/stats?tag=${encodeURIComponent(tag)}`);
  return ((await response.json()) as { requests: number }).requests;
}

describe('rateLimit()', () => {
  it('allows 5 requests per window with RateLimit-* headers, then answers 429 with Retry-After', async () => {
    const send = appWith(policy());
    const ip = { 'CF-Connecting-IP': clientIp() };
    for (let remaining = 4; remaining >= 0; remaining--) {
      const response = await send('/ok', ip);
      expect(response.status).toBe(200);
      expect(response.headers.get('RateLimit-Limit')).toBe('5');
      expect(response.headers.get('RateLimit-Remaining')).toBe(String(remaining));
      expect(Number(response.headers.get('RateLimit-Reset'))).toBeGreaterThan(0);
    }

    const refused = await send('/ok', ip);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.headers.get('RateLimit-Remaining')).toBe('0');
    expect(refused.headers.get('RateLimit-Reset')).toBe(String(retryAfter));
    expect(await readProblem(refused)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });

  it('puts the RateLimit-* headers on error responses too', async () => {
    const response = await appWith(policy())('/fails', { 'CF-Connecting-IP': clientIp() });
    expect(response.status).toBe(404);
    expect(response.headers.get('RateLimit-Limit')).toBe('5');
    expect(response.headers.get('RateLimit-Remaining')).toBe('4');
  });

  it('reports the policy closest to its limit when several count a request, in either order', async () => {
    const tight = policy({ limit: 2 });
    const loose = policy({ limit: 5 });
    for (const send of [
      appWith(tight, loose),
      appWith(policy({ limit: 5 }), policy({ limit: 2 })),
    ]) {
      const ip = { 'CF-Connecting-IP': clientIp() };
      const first = await send('/ok', ip);
      expect(first.headers.get('RateLimit-Limit')).toBe('2');
      expect(first.headers.get('RateLimit-Remaining')).toBe('1');
      const second = await send('/fails', ip);
      expect(second.status).toBe(404);
      expect(second.headers.get('RateLimit-Limit')).toBe('2');
      expect(second.headers.get('RateLimit-Remaining')).toBe('0');
    }
  });

  it('counts each client IP apart', async () => {
    const send = appWith(policy({ limit: 1 }));
    const first = { 'CF-Connecting-IP': clientIp() };
    expect((await send('/ok', first)).status).toBe(200);
    expect((await send('/ok', first)).status).toBe(429);
    expect((await send('/ok', { 'CF-Connecting-IP': clientIp() })).status).toBe(200);
  });

  it('keys by the authenticated user, whatever their IP', async () => {
    const send = appWith(policy({ limit: 1, key: 'user' }));
    expect(
      (await send('/ok', { 'X-Test-User': '41', 'CF-Connecting-IP': clientIp() })).status,
    ).toBe(200);
    expect(
      (await send('/ok', { 'X-Test-User': '41', 'CF-Connecting-IP': clientIp() })).status,
    ).toBe(429);
    expect(
      (await send('/ok', { 'X-Test-User': '42', 'CF-Connecting-IP': clientIp() })).status,
    ).toBe(200);
  });

  it('keys by a custom function', async () => {
    const send = appWith(policy({ limit: 1, key: (c) => c.req.header('X-Account') ?? '' }));
    expect((await send('/ok', { 'X-Account': 'ada', 'CF-Connecting-IP': clientIp() })).status).toBe(
      200,
    );
    expect((await send('/ok', { 'X-Account': 'ada', 'CF-Connecting-IP': clientIp() })).status).toBe(
      429,
    );
    expect((await send('/ok', { 'X-Account': 'bob', 'CF-Connecting-IP': clientIp() })).status).toBe(
      200,
    );
  });
});

describe('the client network a limit counts (issue 8)', () => {
  it('counts every request whose client IP is not an IP address in one shared bucket, and logs it', async () => {
    const send = appWith(policy({ limit: 1 }));
    const { lines } = await capturingLogs('warn', async () => {
      const warn = { LOG_LEVEL: 'warn' };
      expect((await send('/ok', { 'CF-Connecting-IP': 'not-an-ip-1' }, warn)).status).toBe(200);
      const other = { 'CF-Connecting-IP': '10.0.0.1, 10.0.0.2' };
      expect((await send('/ok', other, warn)).status).toBe(429);
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', value: 'not-an-ip-1' }),
      expect.objectContaining({ level: 'warn', value: '10.0.0.1, 10.0.0.2' }),
    ]);
  });

  it('counts an IPv6 client by its /64, however the address is written', async () => {
    const send = appWith(policy({ limit: 2 }));
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const ip = (address: string) => ({ 'CF-Connecting-IP': address });
    expect((await send('/ok', ip(`${prefix}:7::1`))).status).toBe(200);
    expect((await send('/ok', ip(`${prefix.toUpperCase()}:0007:ffff:1:2:3`))).status).toBe(200);
    expect((await send('/ok', ip(`${prefix}:7:0:0:0:abcd`))).status).toBe(429);
    expect((await send('/ok', ip(`${prefix}:8::1`))).status).toBe(200);
  });

  it('refuses a request whose custom key is empty rather than leaving it unlimited', async () => {
    const send = appWith(policy({ limit: 1, key: (c) => c.req.header('X-Account') ?? '' }));
    const response = await send('/ok', { 'CF-Connecting-IP': clientIp() });
    expect(response.status).toBe(422);
    expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
  });
});

describe('rateLimit() with Redis unreachable', () => {
  const redisDown = { UPSTASH_REDIS_REST_URL: DEAD_ENDPOINT, LOG_LEVEL: 'warn' };

  it('answers 503 SERVICE_UNAVAILABLE on a fail-closed route', async () => {
    const response = await appWith(policy({ failure: 'closed' }))('/ok', {}, redisDown);
    expect(response.status).toBe(503);
    expect(response.headers.get('Retry-After')).toBeTruthy();
    expect((await readProblem(response)).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('lets the request through on a fail-open route and logs a warning', async () => {
    const limit = policy({ failure: 'open' });
    const { result: response, lines } = await capturingLogs('warn', () =>
      appWith(limit)('/ok', {}, redisDown),
    );
    expect(response.status).toBe(200);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'rate limiter unreachable, allowing request',
        policy: limit.name,
      }),
    );
  });
});

describe('rateLimit() cost, counted at the local Redis', () => {
  it('makes at most one Redis request per check, and none for a client already blocked', async () => {
    const limit = policy({ limit: 2 });
    const send = appWith(limit);
    const ip = { 'CF-Connecting-IP': clientIp() };
    // The first use of the script on a Redis server costs EVALSHA + EVAL (NOSCRIPT) once.
    await send('/ok', { 'CF-Connecting-IP': clientIp() });

    const tagged = (tag: string) => ({ UPSTASH_REDIS_REST_URL: `${redisUrl()}/__tag/${tag}` });
    const checks = `checks-${crypto.randomUUID()}`;
    expect((await send('/ok', ip, tagged(checks))).status).toBe(200);
    expect(await redisRequests(checks)).toBe(1);
    expect((await send('/ok', ip, tagged(checks))).status).toBe(200);
    expect((await send('/ok', ip, tagged(checks))).status).toBe(429);
    expect(await redisRequests(checks)).toBe(3);

    const blocked = `blocked-${crypto.randomUUID()}`;
    expect((await send('/ok', ip, tagged(blocked))).status).toBe(429);
    expect((await send('/ok', ip, tagged(blocked))).status).toBe(429);
    expect(await redisRequests(blocked)).toBe(0);
  });
});

describe('the default API policy', () => {
  it('limits API routes per IP, failing open', async () => {
    const response = await call(`${API}/no-such-route`, {
      headers: { 'CF-Connecting-IP': clientIp() },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('RateLimit-Limit')).toBe(env.RATE_LIMIT_PER_MINUTE);
    expect(response.headers.get('RateLimit-Remaining')).toBe(
      String(Number(env.RATE_LIMIT_PER_MINUTE) - 1),
    );
  });

  it.each([`${API}/health`, `${API}/openapi.json`])('leaves %s unlimited', async (path) => {
    const response = await call(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('RateLimit-Limit')).toBeNull();
  });

  it('leaves QStash deliveries to the signature check', async () => {
    const response = await call(`${API}/jobs/send_email`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(response.headers.get('RateLimit-Limit')).toBeNull();
  });
});
