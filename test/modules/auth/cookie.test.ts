import { describe, expect, it } from 'vitest';
import { clientIp, PASSWORD, registerUser } from '../../helpers/users';
import { API, call, readProblem } from '../../helpers/worker';

const COOKIE = '__Host-stratus_auth';

async function cookieLogin(email: string) {
  const response = await call(`${API}/auth/cookie/login`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'CF-Connecting-IP': clientIp(),
      Origin: 'http://localhost:3000',
    },
    body: JSON.stringify({ username: email, password: PASSWORD }),
  });
  expect(response.status).toBe(204);
  const setCookie = response.headers.get('Set-Cookie') ?? '';
  const value = new RegExp(`${COOKIE}=([^;]+)`).exec(setCookie)?.[1];
  if (!value) throw new Error(`no auth cookie in: ${setCookie}`);
  return { setCookie, cookie: `${COOKIE}=${value}` };
}

describe('cookie authentication', () => {
  it('sets an HttpOnly, Secure, SameSite=Lax, __Host- cookie that authenticates reads', async () => {
    const user = await registerUser();
    const { setCookie, cookie } = await cookieLogin(user.email);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
    const me = await call(`${API}/users/me`, { headers: { Cookie: cookie } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: user.email });
  });

  it('refuses a cookie-authenticated change without an allowed Origin', async () => {
    const user = await registerUser();
    const { cookie } = await cookieLogin(user.email);
    const patch = (headers: Record<string, string>) =>
      call(`${API}/users/me`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', Cookie: cookie, ...headers },
        body: JSON.stringify({ first_name: 'Mallory' }),
      });
    const missing = await patch({});
    expect(missing.status).toBe(403);
    expect((await readProblem(missing)).code).toBe('ORIGIN_NOT_ALLOWED');
    expect((await patch({ Origin: 'https://evil.example' })).status).toBe(403);
    const allowed = await patch({ Origin: 'http://localhost:3000' });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ first_name: 'Mallory' });
  });

  it('logs out: the cookie is cleared and no longer works', async () => {
    const user = await registerUser();
    const { cookie } = await cookieLogin(user.email);
    const logout = await call(`${API}/auth/cookie/logout`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'http://localhost:8787' },
    });
    expect(logout.status).toBe(204);
    expect(logout.headers.get('Set-Cookie')).toMatch(new RegExp(`${COOKIE}=;.*Max-Age=0`, 'i'));
    expect((await call(`${API}/users/me`, { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('refuses a cookie login without an allowed Origin, and sets no cookie (login CSRF, issue 8)', async () => {
    const user = await registerUser();
    for (const origin of [undefined, 'https://evil.example']) {
      const response = await call(`${API}/auth/cookie/login`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'CF-Connecting-IP': clientIp(),
          ...(origin && { Origin: origin }),
        },
        body: new URLSearchParams({ username: user.email, password: PASSWORD }).toString(),
      });
      expect(response.status).toBe(403);
      expect((await readProblem(response)).code).toBe('ORIGIN_NOT_ALLOWED');
      expect(response.headers.get('Set-Cookie')).toBeNull();
    }
  });

  it('marks auth responses Cache-Control: no-store', async () => {
    const user = await registerUser();
    const { cookie } = await cookieLogin(user.email);
    const me = await call(`${API}/users/me`, { headers: { Cookie: cookie } });
    expect(me.headers.get('Cache-Control')).toBe('no-store');
  });
});
