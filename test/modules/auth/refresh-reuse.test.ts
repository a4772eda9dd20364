import { describe, expect, it } from 'vitest';
import { authed, clientIp, login, registerUser, type Tokens } from '../../helpers/users';
import { API, callWith, type Overrides, readProblem } from '../../helpers/worker';

/** One browser: its IP and user agent, as two tabs of it share them. */
function browser(overrides: Overrides = {}) {
  const headers = {
    'Content-Type': 'application/json',
    'CF-Connecting-IP': clientIp(),
    'User-Agent': `tabs-${crypto.randomUUID()}`,
  };
  return (refreshToken: string) =>
    callWith(overrides, `${API}/auth/jwt/refresh`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
}

const sessionOf = (accessToken: string) =>
  (
    JSON.parse(atob((accessToken.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as {
      sid: string;
    }
  ).sid;

describe('refresh reuse interval (issue 8)', () => {
  it('keeps the session when 10 tabs refresh with one token at once: each gets a pair of the same family or a clear 401', async () => {
    const user = await registerUser();
    const tokens = await login(user);
    const refresh = browser();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(tokens.refresh_token)),
    );
    const pairs: Tokens[] = [];
    for (const response of responses) {
      if (response.status === 200) pairs.push((await response.json()) as Tokens);
      else {
        expect(response.status).toBe(401);
        expect((await readProblem(response)).code).toBe('REFRESH_TOKEN_INVALID');
      }
    }
    expect(pairs.length).toBeGreaterThanOrEqual(1);
    for (const pair of pairs) {
      expect(sessionOf(pair.access_token)).toBe(sessionOf(tokens.access_token));
      expect((await authed(pair.access_token, '/users/me')).status).toBe(200);
    }
    expect(new Set(pairs.map((pair) => pair.refresh_token)).size).toBe(pairs.length);
    for (const pair of pairs) expect((await refresh(pair.refresh_token)).status).toBe(200);
    const sessions = (await (
      await authed(pairs[0]?.access_token ?? '', '/users/me/sessions')
    ).json()) as unknown[];
    expect(sessions).toHaveLength(1);
  });

  it('still revokes the family when the token comes back after the interval', async () => {
    const refresh = browser({ REFRESH_REUSE_INTERVAL_SECONDS: '1' });
    const tokens = await login(await registerUser());
    const rotated = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const reused = await refresh(tokens.refresh_token);
    expect(reused.status).toBe(401);
    expect((await refresh(rotated.refresh_token)).status).toBe(401);
    expect((await authed(rotated.access_token, '/users/me')).status).toBe(401);
  });

  it('revokes the family when another client presents a just-rotated token', async () => {
    const tokens = await login(await registerUser());
    const rotated = (await (await browser()(tokens.refresh_token)).json()) as Tokens;
    expect((await browser()(tokens.refresh_token)).status).toBe(401);
    expect((await authed(rotated.access_token, '/users/me')).status).toBe(401);
  });

  it('revokes at once with the interval set to 0', async () => {
    const refresh = browser({ REFRESH_REUSE_INTERVAL_SECONDS: '0' });
    const tokens = await login(await registerUser());
    const rotated = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    expect((await refresh(tokens.refresh_token)).status).toBe(401);
    expect((await refresh(rotated.refresh_token)).status).toBe(401);
  });
});
