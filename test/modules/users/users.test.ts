import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cacheUser } from '../../../src/modules/users/users.service';
import { users } from '../../../src/platform/db/schema';
import { getRedis } from '../../../src/platform/redis';
import { getSettings } from '../../../src/settings';
import { api } from '../../helpers/client';
import {
  authed,
  bearer,
  login,
  loginForm,
  PASSWORD,
  postJson,
  registerUser,
  superuser,
  testDb,
  uniqueEmail,
} from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

const patchMe = (token: string, body: unknown) =>
  authed(token, '/users/me', { method: 'PATCH', body: JSON.stringify(body) });

describe('GET/PATCH /users/me', () => {
  it('updates the profile fields', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const response = await patchMe(access_token, { first_name: 'Ada', phone: '+14155550123' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ first_name: 'Ada', phone: '+14155550123' });
    expect(await (await authed(access_token, '/users/me')).json()).toMatchObject({
      first_name: 'Ada',
    });
  });

  it.each([
    { is_superuser: true },
    { is_active: false },
    { is_verified: true },
    { first_name: 'Eve', is_superuser: true },
  ])('refuses %o with 422 and leaves the database unchanged', async (body) => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const [before] = await testDb().select().from(users).where(eq(users.id, user.id));
    const response = await patchMe(access_token, body);
    expect(response.status).toBe(422);
    const problem = await readProblem(response);
    expect(problem.code).toBe('VALIDATION_ERROR');
    expect(problem.errors?.[0]?.code).toBe('unrecognized_keys');
    const [after] = await testDb().select().from(users).where(eq(users.id, user.id));
    expect(after).toEqual(before);
  });

  it('refuses text Postgres cannot store (a NUL byte) with 422, changing nothing', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const [before] = await testDb().select().from(users).where(eq(users.id, user.id));
    const response = await patchMe(access_token, { first_name: 'Ab\u0000cd' });
    expect(response.status).toBe(422);
    expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    const [after] = await testDb().select().from(users).where(eq(users.id, user.id));
    expect(after).toEqual(before);
  });

  it('refuses an e-mail that another account has, in any letter case', async () => {
    const taken = await registerUser();
    const user = await registerUser();
    const { access_token } = await login(user);
    const response = await patchMe(access_token, {
      email: taken.email.toUpperCase(),
      current_password: PASSWORD,
    });
    expect((await readProblem(response)).code).toBe('UPDATE_USER_EMAIL_ALREADY_EXISTS');
  });

  it('needs the right current password to change the password', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    expect((await patchMe(access_token, { password: 'N3wPassword' })).status).toBe(422);
    const wrong = await patchMe(access_token, {
      password: 'N3wPassword',
      current_password: 'Wr0ngPass',
    });
    expect((await readProblem(wrong)).code).toBe('UPDATE_USER_BAD_CURRENT_PASSWORD');
    expect((await loginForm(user.email, PASSWORD)).status).toBe(200);
  });

  it('explains each password rule that a new password breaks', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const response = await patchMe(access_token, { password: 'short', current_password: PASSWORD });
    const messages = (await readProblem(response)).errors?.map((error) => error.message) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining([
        'Password must be at least 8 characters',
        'Password must contain at least one digit',
        'Password must contain at least one uppercase letter',
      ]),
    );
  });
});

describe('PATCH with nothing to change (issue 8)', () => {
  it('answers an empty or unchanged PATCH /users/me with 200 and the user as it is', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const before = await (await authed(access_token, '/users/me')).json();
    for (const body of [{}, { first_name: 'Test' }, { email: user.email.toUpperCase() }]) {
      const response = await patchMe(access_token, body);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(before);
    }
  });

  it('answers an empty PATCH /users/{id} with 200 and the user as it is', async () => {
    const admin = await superuser();
    const user = await registerUser();
    const response = await authed(admin.tokens.access_token, `/users/${user.id}`, {
      method: 'PATCH',
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, email: user.email });
  });
});

describe('input the API refuses (issue 8)', () => {
  it('accepts only https: avatar URLs', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    for (const avatar_url of ['http://example.com/a.png', 'javascript:alert(1)', 'data:,x']) {
      expect((await patchMe(access_token, { avatar_url })).status).toBe(422);
    }
    const https = await patchMe(access_token, { avatar_url: 'https://example.com/a.png' });
    expect(await https.json()).toMatchObject({ avatar_url: 'https://example.com/a.png' });
  });

  it('reads numeric query and path parameters as decimal digits only', async () => {
    const admin = await superuser();
    const get = (path: string) => authed(admin.tokens.access_token, path);
    for (const path of [
      '/users?limit=0x10',
      '/users?skip=1e1',
      '/users?limit=+5',
      `/users/0x${admin.id.toString(16)}`,
    ]) {
      const response = await get(path);
      expect(response.status).toBe(422);
      expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    }
    expect(await (await get('/users?limit=2')).json()).toMatchObject({ limit: 2 });
    expect((await get(`/users/${admin.id}`)).status).toBe(200);
  });
});

describe('my sessions', () => {
  it("shows each session's own first creation, never another user's (issue 8)", async () => {
    const early = await registerUser();
    await login(early);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const user = await registerUser();
    const started = Date.now() - 1000; // the database's clock may run a little behind
    const tokens = await login(user);
    const refreshed = (await (
      await postJson('/auth/jwt/refresh', { refresh_token: tokens.refresh_token })
    ).json()) as { access_token: string };
    const [session] = (await (
      await authed(refreshed.access_token, '/users/me/sessions')
    ).json()) as { created_at: string; last_used_at: string }[];
    expect(Date.parse(session?.created_at ?? '')).toBeGreaterThanOrEqual(started);
    expect(Date.parse(session?.created_at ?? '')).toBeLessThanOrEqual(
      Date.parse(session?.last_used_at ?? ''),
    );
  });

  it('lists each signed-in device once, marking the current one', async () => {
    const user = await registerUser();
    const first = await login(user);
    const second = await login(user);
    const mySessions = (token: string) =>
      api.users.me.sessions.$get({}, { headers: bearer(token) }).then((r) => r.json());
    const sessions = await mySessions(second.access_token);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    await api.auth.jwt.logout.$post({}, { headers: bearer(first.access_token) });
    expect(await mySessions(second.access_token)).toHaveLength(1);
  });

  it("answers 404 for another user's session", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const aliceTokens = await login(alice);
    const bobTokens = await login(bob);
    const [bobSession] = await (
      await api.users.me.sessions.$get({}, { headers: bearer(bobTokens.access_token) })
    ).json();
    const response = await authed(
      aliceTokens.access_token,
      `/users/me/sessions/${bobSession?.id}`,
      { method: 'DELETE' },
    );
    expect(response.status).toBe(404);
    expect((await authed(bobTokens.access_token, '/users/me')).status).toBe(200);
  });
});

describe('superuser administration', () => {
  it('forbids a regular user', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const response = await authed(access_token, '/users');
    expect(response.status).toBe(403);
    expect((await readProblem(response)).code).toBe('FORBIDDEN');
  });

  it('lists users with paging and search', async () => {
    const admin = await superuser();
    const marker = crypto.randomUUID().slice(0, 8);
    for (const n of [1, 2, 3]) await registerUser({ email: uniqueEmail(`find-${marker}-${n}`) });
    const headers = bearer(admin.tokens.access_token);
    // #region typed-client
    const page = await api.users.$get(
      { query: { search: `find-${marker}`, limit: '2' } },
      { headers },
    );
    expect(page.status).toBe(200);
    const body = await page.json();
    expect(body).toMatchObject({ total: 3, has_next: true, limit: 2, skip: 0 });
    // #endregion typed-client
    expect(body.items).toHaveLength(2);
    const rest = await (
      await api.users.$get({ query: { search: `find-${marker}`, skip: '2' } }, { headers })
    ).json();
    expect(rest).toMatchObject({ total: 3, has_next: false });
    expect(rest.items).toHaveLength(1);
  });

  it('answers ids and offsets beyond a Postgres integer with 422, not a database error', async () => {
    const admin = await superuser();
    for (const path of ['/users/99999999999', '/users?skip=100000000000000000000']) {
      const response = await authed(admin.tokens.access_token, path);
      expect(response.status, path).toBe(422);
      expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    }
  });

  it('caps limit at MAX_PAGE_SIZE', async () => {
    const admin = await superuser();
    const headers = bearer(admin.tokens.access_token);
    const body = await (await api.users.$get({ query: { limit: '1000' } }, { headers })).json();
    expect(body.limit).toBe(100);
  });

  it('gets and updates any user, and audits the change', async () => {
    const admin = await superuser();
    const user = await registerUser();
    const got = await authed(admin.tokens.access_token, `/users/${user.id}`);
    expect(await got.json()).toMatchObject({ id: user.id, email: user.email });
    const patched = await authed(admin.tokens.access_token, `/users/${user.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ is_verified: true, last_name: 'Updated' }),
    });
    expect(await patched.json()).toMatchObject({ is_verified: true, last_name: 'Updated' });
    expect((await authed(admin.tokens.access_token, '/users/999999999')).status).toBe(404);
  });

  it('soft-deletes: the user cannot log in, and the row remains with deleted_at', async () => {
    const admin = await superuser();
    const user = await registerUser();
    expect(
      (await authed(admin.tokens.access_token, `/users/${user.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await loginForm(user.email, user.password)).status).toBe(400);
    expect((await authed(admin.tokens.access_token, `/users/${user.id}`)).status).toBe(404);
    const [row] = await testDb().select().from(users).where(eq(users.id, user.id));
    expect(row?.deletedAt).toBeInstanceOf(Date);
  });
});

describe('the user cache', () => {
  it('never goes back to an older token version, so a slow writer cannot revive old tokens', async () => {
    const user = await registerUser();
    const old = await login(user);
    const [before] = await testDb().select().from(users).where(eq(users.id, user.id));
    const changed = await authed(old.access_token, '/users/me', {
      method: 'PATCH',
      body: JSON.stringify({ password: 'N3wPassword!', current_password: PASSWORD }),
    });
    expect(changed.status).toBe(200);
    // A request that read the row before the password change now caches it.
    await cacheUser({ redis: getRedis(getSettings(env)) }, before as NonNullable<typeof before>);
    expect((await authed(old.access_token, '/users/me')).status).toBe(401);
  });
});
