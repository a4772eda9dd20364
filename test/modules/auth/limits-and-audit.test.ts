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
import { API, callWith, DEAD_ENDPOINT, readProblem } from '../../helpers/worker';

async function events(userId: number) {
  const rows = await testDb()
    .select({ event: auditLog.event, details: auditLog.details, ip: auditLog.ip })
    .from(auditLog)
    .where(eq(auditLog.userId, userId))
    .orderBy(desc(auditLog.id));
  return rows;
}

describe('auth rate limits', () => {
  it('limits login attempts per account, whatever the client IP, with 429 and Retry-After', async () => {
    const email = uniqueEmail('hammered');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      statuses.push((await loginForm(email, 'Wr0ngPassword')).status);
    }
    expect(statuses).toEqual(Array(10).fill(400));
    const blocked = await loginForm(email, 'Wr0ngPassword');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(blocked.headers.get('RateLimit-Remaining')).toBe('0');
    expect((await readProblem(blocked)).code).toBe('RATE_LIMITED');
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
