import { env } from 'cloudflare:test';
import { Ratelimit } from '@upstash/ratelimit';
import { describe, expect, it } from 'vitest';
import { getRedis } from '../../src/platform/redis';
import { getSettings } from '../../src/settings';
import { cacheOutcome } from '../helpers/db-stats';
import { databaseRoundTrips, redisRequests, tagged } from '../helpers/stats';
import { bearer, clientIp, login, registerUser } from '../helpers/users';
import { API, ORIGIN, readProblem, workerWith } from '../helpers/worker';

/** A worker of its own (its settings, clients and caches persist across calls): an isolate. */
function isolate(overrides: Parameters<typeof workerWith>[0] = {}) {
  const { tag, settings } = tagged();
  const fetch = workerWith({ ...settings, ...overrides });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(new Request(`${ORIGIN}${API}${path}`, { headers }));
  return { tag, fetch, get };
}

async function signedIn() {
  const user = await registerUser();
  const tokens = await login(user);
  return { user, tokens, headers: bearer(tokens.access_token) };
}

/** Waits out the last seconds of a minute, so a test's counts stay in one 1-minute window. */
async function sameMinute() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

describe('the preflight: one Redis request per authenticated request (issue 13)', () => {
  it('answers a cached GET /users/me with 1 Redis request (rate limit included) and 0 database round trips', async () => {
    const { headers } = await signedIn();
    const { tag, get } = isolate();
    // The first script run on a Redis server may cost an EVAL after NOSCRIPT: not counted here.
    expect((await get('/users/me', { ...headers, 'CF-Connecting-IP': clientIp() })).status).toBe(
      200,
    );
    const [requests, trips] = [await redisRequests(tag), await databaseRoundTrips(tag)];

    const ip = { 'CF-Connecting-IP': clientIp() };
    for (let i = 0; i < 3; i++) {
      const response = await get('/users/me', { ...headers, ...ip });
      expect(response.status).toBe(200);
      expect(cacheOutcome(response)).toBe('hit');
      expect(response.headers.get('RateLimit-Remaining')).toBe(
        String(Number(env.RATE_LIMIT_PER_MINUTE) - 1 - i),
      );
    }
    expect(await redisRequests(tag)).toBe(requests + 3);
    expect(await databaseRoundTrips(tag)).toBe(trips);
  });

  it('refuses a client in the isolate block cache with 0 Redis requests, token or not', async () => {
    const { headers } = await signedIn();
    const { tag, get } = isolate({ RATE_LIMIT_PER_MINUTE: '2' });
    await sameMinute();
    const ip = { 'CF-Connecting-IP': clientIp() };
    expect((await get('/users/me', { ...headers, ...ip })).status).toBe(200);
    expect((await get('/users/me', { ...headers, ...ip })).status).toBe(200);
    const over = await get('/users/me', { ...headers, ...ip });
    expect(over.status).toBe(429);
    expect((await readProblem(over)).code).toBe('RATE_LIMITED');
    const counted = await redisRequests(tag);

    for (const sent of [{ ...headers, ...ip }, ip]) {
      const blocked = await get('/users/me', sent);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0);
    }
    expect(await redisRequests(tag)).toBe(counted);
  });

  it("shares its counters with @upstash/ratelimit's own limit() on the same keys", async () => {
    await sameMinute();
    const ip = clientIp();
    const limit = Number(env.RATE_LIMIT_PER_MINUTE);
    const library = new Ratelimit({
      redis: getRedis(getSettings(env)),
      limiter: Ratelimit.slidingWindow(limit, '1 m'),
      prefix: 'ratelimit:api',
      timeout: 0,
    });
    expect((await library.limit(`ip:${ip}`)).remaining).toBe(limit - 1);
    expect((await library.limit(`ip:${ip}`)).remaining).toBe(limit - 2);

    const { headers } = await signedIn();
    const { get } = isolate();
    const response = await get('/users/me', { ...headers, 'CF-Connecting-IP': ip });
    expect(response.status).toBe(200);
    expect(response.headers.get('RateLimit-Remaining')).toBe(String(limit - 3));
    expect((await library.limit(`ip:${ip}`)).remaining).toBe(limit - 4);
  });

  it('refuses a session on the very next request after logout, in an isolate that had the user cached', async () => {
    const { headers } = await signedIn();
    const first = isolate();
    const second = isolate();
    const me = (worker: ReturnType<typeof isolate>) =>
      worker.get('/users/me', { ...headers, 'CF-Connecting-IP': clientIp() });
    for (const worker of [first, second]) {
      const response = await me(worker);
      expect(response.status).toBe(200);
      expect(cacheOutcome(response)).toBe('hit');
    }

    const logout = await first.fetch(
      new Request(`${ORIGIN}${API}/auth/jwt/logout`, {
        method: 'POST',
        headers: { ...headers, 'CF-Connecting-IP': clientIp() },
      }),
    );
    expect(logout.status).toBe(204);

    for (const worker of [second, first]) {
      const refused = await me(worker);
      expect(refused.status).toBe(401);
      expect(await readProblem(refused)).toMatchObject({
        code: 'UNAUTHORIZED',
        detail: 'The session has ended',
      });
    }
  });

  it("checks a route's own network limit in the same request: refresh costs 1 Redis request, and its limit still refuses", async () => {
    const { tag, fetch } = isolate();
    const ip = clientIp();
    const refresh = () =>
      fetch(
        new Request(`${ORIGIN}${API}/auth/jwt/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': ip },
          body: JSON.stringify({ refresh_token: 'not-a-refresh-token' }),
        }),
      );
    // The first script run on a Redis server may cost an EVAL after NOSCRIPT: not counted here.
    expect((await refresh()).status).toBe(401);
    const counted = await redisRequests(tag);
    const refused = await refresh();
    expect(refused.status).toBe(401);
    expect(await readProblem(refused)).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    expect(await redisRequests(tag)).toBe(counted + 1);
    // Both limits counted it; the headers describe refresh-ip (60 in 5 minutes), the closer one.
    expect(refused.headers.get('RateLimit-Limit')).toBe('60');
    expect(refused.headers.get('RateLimit-Remaining')).toBe('58');

    // The same counters as the route's policy checked on its own (auth.limits.ts: 60 per 5 m).
    const library = new Ratelimit({
      redis: getRedis(getSettings(env)),
      limiter: Ratelimit.slidingWindow(60, '5 m'),
      prefix: 'ratelimit:refresh-ip',
      timeout: 0,
    });
    for (let used = 2; used < 60; used++) await library.limit(`ip:${ip}`);
    const over = await refresh();
    expect(over.status).toBe(429);
    expect(await readProblem(over)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await redisRequests(tag)).toBe(counted + 2);
  });

  it('reads nothing for an invalid token, which authentication still refuses', async () => {
    const { tag, get } = isolate();
    expect((await get('/users/me', { 'CF-Connecting-IP': clientIp() })).status).toBe(401);
    const counted = await redisRequests(tag);
    const response = await get('/users/me', {
      ...bearer('not.a.token'),
      'CF-Connecting-IP': clientIp(),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('RateLimit-Limit')).toBe(env.RATE_LIMIT_PER_MINUTE);
    // The rate limit alone: the token was refused before any read.
    expect(await redisRequests(tag)).toBe(counted + 1);
  });
});
