import { describe, expect, inject, it } from 'vitest';
import { bearer, clientIp, login, PASSWORD, registerUser } from '../../helpers/users';
import { API, callWith } from '../../helpers/worker';
import { TEST_DATABASE_URL } from '../../test-env';

/** Database round trips the local Postgres endpoint counted for one tag. */
async function roundTrips(tag: string): Promise<number> {
  const base = new URL(inject('localCloud').postgres).origin;
  const stats = (await (await fetch(`${base}/__local/stats?tag=${tag}`)).json()) as {
    requests: number;
  };
  return stats.requests;
}

/** Settings whose database traffic the endpoint counts under `tag`. */
function tagged() {
  const tag = `rt-${crypto.randomUUID().slice(0, 8)}`;
  return { tag, settings: { DATABASE_URL: `${TEST_DATABASE_URL}?application_name=${tag}` } };
}

describe('database round trips (SPEC §10 budgets)', () => {
  it('logs in with at most 2', async () => {
    const user = await registerUser();
    const { tag, settings } = tagged();
    const response = await callWith(settings, `${API}/auth/jwt/login`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'CF-Connecting-IP': clientIp(),
      },
      body: new URLSearchParams({ username: user.email, password: PASSWORD }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await roundTrips(tag)).toBeLessThanOrEqual(2);
    expect(await roundTrips(tag)).toBeGreaterThan(0);
  });

  it('fails a login with at most 2 too', async () => {
    const { tag, settings } = tagged();
    const response = await callWith(settings, `${API}/auth/jwt/login`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'CF-Connecting-IP': clientIp(),
      },
      body: new URLSearchParams({ username: 'nobody@example.com', password: PASSWORD }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await roundTrips(tag)).toBeLessThanOrEqual(2);
  });

  it('answers an authenticated GET /users/me with at most 1, and 0 once the user is cached', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const { tag, settings } = tagged();
    const first = await callWith(settings, `${API}/users/me`, { headers: bearer(access_token) });
    expect(first.status).toBe(200);
    expect(await roundTrips(tag)).toBe(1);
    const second = await callWith(settings, `${API}/users/me`, { headers: bearer(access_token) });
    expect(second.status).toBe(200);
    expect(await roundTrips(tag)).toBe(1);
  });
});
