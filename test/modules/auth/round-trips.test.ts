import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { userCacheKey } from '../../../src/modules/users/users.service';
import { getRedis } from '../../../src/platform/redis';
import { getSettings } from '../../../src/settings';
import { cacheOutcome, dbStats, taggedDb } from '../../helpers/db-stats';
import { capturingLogs } from '../../helpers/logs';
import { bearer, login, loginForm, PASSWORD, registerUser } from '../../helpers/users';
import { API, callWith, DEAD_ENDPOINT } from '../../helpers/worker';

/** Database round trips the local Postgres endpoint counted for one tag. */
const roundTrips = async (tag: string) => (await dbStats(tag)).requests;

describe('database round trips (the budgets in BENCHMARKS.md)', () => {
  it('logs in with at most 2', async () => {
    const user = await registerUser();
    const { tag, settings } = taggedDb();
    const response = await loginForm(user.email, PASSWORD, {}, settings);
    expect(response.status).toBe(200);
    expect(await roundTrips(tag)).toBeLessThanOrEqual(2);
    expect(await roundTrips(tag)).toBeGreaterThan(0);
  });

  it('fails a login with at most 2 too', async () => {
    const { tag, settings } = taggedDb();
    const response = await loginForm('nobody@example.com', PASSWORD, {}, settings);
    expect(response.status).toBe(400);
    expect(await roundTrips(tag)).toBeLessThanOrEqual(2);
  });

  it('answers an authenticated GET /users/me with 0 when the user is cached, 1 when not', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const { tag, settings } = taggedDb();
    const me = () => callWith(settings, `${API}/users/me`, { headers: bearer(access_token) });

    const cached = await me();
    expect(cached.status).toBe(200);
    expect(cacheOutcome(cached)).toBe('hit');
    expect(await roundTrips(tag)).toBe(0);

    await getRedis(getSettings(env)).del(userCacheKey(user.id));
    const uncached = await me();
    expect(uncached.status).toBe(200);
    expect(cacheOutcome(uncached)).toBe('miss');
    expect(await roundTrips(tag)).toBe(1);
    expect((await me()).status).toBe(200);
    expect(await roundTrips(tag)).toBe(1);
  });

  it('answers an authenticated read from the database (1) when Redis is unreachable', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const { tag, settings } = taggedDb();
    const { result: response, lines } = await capturingLogs('warn', () =>
      callWith(
        { ...settings, UPSTASH_REDIS_REST_URL: DEAD_ENDPOINT, LOG_LEVEL: 'warn' },
        `${API}/users/me`,
        { headers: bearer(access_token) },
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ email: user.email });
    expect(cacheOutcome(response)).toBe('error');
    expect(await roundTrips(tag)).toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ message: 'cache unavailable' }));
  });

  it('writes a profile change with 1, and the next read finds the new row cached', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const { tag, settings } = taggedDb();
    const patch = await callWith(settings, `${API}/users/me`, {
      method: 'PATCH',
      headers: { ...bearer(access_token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ first_name: 'Written' }),
    });
    expect(patch.status).toBe(200);
    expect(await roundTrips(tag)).toBe(1);
    const read = await callWith(settings, `${API}/users/me`, { headers: bearer(access_token) });
    expect(await read.json()).toMatchObject({ first_name: 'Written' });
    expect(await roundTrips(tag)).toBe(1);
  });
});
