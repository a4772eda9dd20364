import { and, desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog } from '../../../src/platform/db/schema';
import {
  authed,
  clientIp,
  login,
  loginForm,
  PASSWORD,
  postJson,
  registerUser,
  superuser,
  testDb,
  uniqueEmail,
} from '../../helpers/users';
import { API, call, callWith, DEAD_ENDPOINT, readProblem } from '../../helpers/worker';

async function events(userId: number) {
  const rows = await testDb()
    .select({ event: auditLog.event, details: auditLog.details, ip: auditLog.ip })
    .from(auditLog)
    .where(eq(auditLog.userId, userId))
    .orderBy(desc(auditLog.id));
  return rows;
}

describe('auth rate limits', () => {
  it('limits login attempts per account from one network, with 429 and Retry-After (issue 8)', async () => {
    const email = uniqueEmail('hammered');
    const ip = clientIp();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      statuses.push((await loginForm(email, 'Wr0ngPassword', { 'CF-Connecting-IP': ip })).status);
    }
    expect(statuses).toEqual(Array(10).fill(400));
    const blocked = await loginForm(email, 'Wr0ngPassword', { 'CF-Connecting-IP': ip });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(blocked.headers.get('RateLimit-Remaining')).toBe('0');
    expect((await readProblem(blocked)).code).toBe('RATE_LIMITED');
  });

  it('counts every body shape the login accepts in one per-account limit: 429 from the eleventh wrong password on (issue 8)', async () => {
    const email = uniqueEmail('shapes');
    const ip = clientIp();
    const form = (contentType: string, username = email) => ({
      headers: { 'Content-Type': contentType },
      body: new URLSearchParams({ username, password: 'Wr0ngPassword' }).toString(),
    });
    const json = (contentType: string, field = 'username', username = email) => ({
      headers: { 'Content-Type': contentType },
      body: JSON.stringify({ [field]: username, password: 'Wr0ngPassword' }),
    });
    const multipart = () => {
      const body = new FormData();
      body.set('username', email.toUpperCase());
      body.set('password', 'Wr0ngPassword');
      return { headers: {}, body };
    };
    const variants = [
      () => form('application/x-www-form-urlencoded'),
      () => form('application/x-www-form-urlencoded; x=json'),
      () => form('application/x-www-form-urlencoded; charset=utf-8', email.toUpperCase()),
      () => form('Application/X-WWW-Form-Urlencoded'),
      multipart,
      () => json('application/json'),
      () => json('application/json; charset=utf-8', 'email'),
      () => json('APPLICATION/JSON; x=form', 'username', ` ${email.toUpperCase()} `),
      () => json('application/vnd.api+json', 'email'),
      () => form('application/x-www-form-urlencoded;x=json;charset=UTF-8'),
    ];
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const { headers, body } = (
        variants[attempt % variants.length] as () => {
          headers: Record<string, string>;
          body: string | FormData;
        }
      )();
      const response = await call(`${API}/auth/jwt/login`, {
        method: 'POST',
        headers: { 'CF-Connecting-IP': ip, ...headers },
        body,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(10).fill(400), ...Array(20).fill(429)]);
  });

  it('counts cookie logins in the same per-account limit (issue 8)', async () => {
    const user = await registerUser();
    const ip = clientIp();
    for (let attempt = 0; attempt < 10; attempt++) {
      await loginForm(user.email, 'Wr0ngPassword', { 'CF-Connecting-IP': ip });
    }
    const cookie = await call(`${API}/auth/cookie/login`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; x=json',
        'CF-Connecting-IP': ip,
        Origin: 'http://localhost:3000',
      },
      body: new URLSearchParams({ username: user.email, password: PASSWORD }).toString(),
    });
    expect(cookie.status).toBe(429);
  });

  it('does not let a stranger lock the owner out: the tight limit is per account and network (issue 8)', async () => {
    const user = await registerUser();
    const stranger = clientIp();
    for (let attempt = 0; attempt < 10; attempt++) {
      await loginForm(user.email, 'Wr0ngPassword', { 'CF-Connecting-IP': stranger });
    }
    expect(
      (await loginForm(user.email, 'Wr0ngPassword', { 'CF-Connecting-IP': stranger })).status,
    ).toBe(429);
    expect((await loginForm(user.email, PASSWORD, { 'CF-Connecting-IP': clientIp() })).status).toBe(
      200,
    );
  });

  it('caps guesses against one account from every network together (issue 8)', async () => {
    const email = uniqueEmail('botnet');
    const ceiling = { LOGIN_ACCOUNT_LIMIT_PER_HOUR: '4' };
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      statuses.push((await loginForm(email, 'Wr0ngPassword', {}, ceiling)).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
  });

  it('limits wrong current passwords on PATCH /users/me per account (issue 8)', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const guess = () =>
      authed(access_token, '/users/me', {
        method: 'PATCH',
        body: JSON.stringify({ password: 'N3wPassword', current_password: 'Wr0ngPass' }),
      });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) statuses.push((await guess()).status);
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
  });

  it('keys the e-mail request limit on the address written to, whatever else the body names (issue 8)', async () => {
    const user = await registerUser();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const body = { email: user.email, username: uniqueEmail('decoy') };
      statuses.push((await postJson('/auth/forgot-password', body)).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });

  it('carries RateLimit headers on an allowed login', async () => {
    const user = await registerUser();
    const response = await loginForm(user.email, user.password);
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('RateLimit-Limit'))).toBeGreaterThan(0);
    expect(response.headers.get('RateLimit-Remaining')).not.toBeNull();
  });

  it('fails closed: with Redis unreachable, login answers 503 and checks no password', async () => {
    const user = await registerUser();
    const response = await loginForm(
      user.email,
      PASSWORD,
      {},
      {
        UPSTASH_REDIS_REST_URL: DEAD_ENDPOINT,
      },
    );
    expect(response.status).toBe(503);
    expect((await readProblem(response)).code).toBe('SERVICE_UNAVAILABLE');
    expect((await events(user.id)).map((row) => row.event)).not.toContain('login_succeeded');
  });
});

describe('audit log', () => {
  it('records registration, failed and successful logins with the client IP', async () => {
    const user = await registerUser();
    const ip = clientIp();
    await loginForm(user.email, 'Wr0ngPassword', { 'CF-Connecting-IP': ip });
    await loginForm(user.email, PASSWORD, { 'CF-Connecting-IP': ip });
    const rows = await events(user.id);
    expect(rows.map((row) => row.event)).toEqual([
      'login_succeeded',
      'login_failed',
      'user_registered',
    ]);
    expect(rows[0]?.ip).toBe(ip);
  });

  it('records refresh-token reuse and logout', async () => {
    const user = await registerUser();
    const tokens = await login(user);
    await postJson('/auth/jwt/refresh', { refresh_token: tokens.refresh_token });
    await postJson('/auth/jwt/refresh', { refresh_token: tokens.refresh_token });
    const again = await login(user);
    await callWith({}, `${API}/auth/jwt/logout`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${again.access_token}` },
    });
    const names = (await events(user.id)).map((row) => row.event);
    expect(names.slice(0, 3)).toEqual(['logout', 'login_succeeded', 'refresh_token_reused']);
  });

  it('records an admin change with who made it', async () => {
    const admin = await superuser();
    const user = await registerUser();
    await authed(admin.tokens.access_token, `/users/${user.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ is_verified: true }),
    });
    const [change] = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.userId, user.id), eq(auditLog.event, 'user_updated_by_admin')));
    expect(change).toMatchObject({ actorId: admin.id, details: { is_verified: true } });
  });
});
