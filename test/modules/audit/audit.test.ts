import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { tokenFrom, waitForMail } from '../../helpers/mail';
import {
  authed,
  login,
  loginForm,
  postJson,
  registerUser,
  superuser,
  type TestUser,
  testDb,
} from '../../helpers/users';
import { API, call, readProblem } from '../../helpers/worker';

interface AuditEvent {
  id: number;
  event: string;
  user_id: number | null;
  actor_id: number | null;
  details: Record<string, unknown> | null;
  created_at: string;
}

interface AuditPage {
  items: AuditEvent[];
  total?: number;
  has_next: boolean;
  next_cursor: string | null;
}

async function audit(token: string, query: Record<string, string>) {
  const response = await authed(token, `/audit?${new URLSearchParams(query)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as AuditPage;
}

/** A user with a failed and a successful login, then changed by a superuser. */
async function auditedUser() {
  const admin = await superuser();
  const user = await registerUser();
  await loginForm(user.email, 'Wr0ngPassword');
  await login(user);
  await authed(admin.tokens.access_token, `/users/${user.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ last_name: 'Audited' }),
  });
  return { admin, user, token: admin.tokens.access_token };
}

describe('GET /audit (issue 15)', () => {
  it('is for superusers only', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const refused = await authed(access_token, '/audit');
    expect(refused.status).toBe(403);
    expect((await readProblem(refused)).code).toBe('FORBIDDEN');
    expect((await call(`${API}/audit`)).status).toBe(401);
  });

  it("lists a user's events newest first, filtered by target user, event and actor", async () => {
    const { admin, user, token } = await auditedUser();
    const all = await audit(token, { user_id: String(user.id) });
    expect(all.items.map((e) => e.event)).toEqual([
      'user_updated_by_admin',
      'login_succeeded',
      'login_failed',
      'user_registered',
    ]);
    expect(all.total).toBe(4);

    const failed = await audit(token, { user_id: String(user.id), event: 'login_failed' });
    expect(failed.items).toEqual([
      expect.objectContaining({ event: 'login_failed', user_id: user.id, actor_id: null }),
    ]);

    // The admin acted on the user; the user acted on themself.
    const byAdmin = await audit(token, { actor_id: String(admin.id), user_id: String(user.id) });
    expect(byAdmin.items.map((e) => [e.event, e.actor_id])).toEqual([
      ['user_updated_by_admin', admin.id],
    ]);
    const byUser = await audit(token, { actor_id: String(user.id) });
    expect(byUser.items.map((e) => e.event)).toEqual([
      'login_succeeded',
      'login_failed',
      'user_registered',
    ]);
  });

  it('filters by time range (exclusive bounds)', async () => {
    const { user, token } = await auditedUser();
    const all = await audit(token, { user_id: String(user.id), sort: 'created_at' });
    const [first, second] = all.items;
    if (!first || !second) throw new Error('expected events');
    const after = await audit(token, { user_id: String(user.id), created_after: first.created_at });
    expect(after.items.map((e) => e.id)).not.toContain(first.id);
    expect(after.items.map((e) => e.id)).toContain(second.id);
    const before = await audit(token, {
      user_id: String(user.id),
      created_before: second.created_at,
    });
    expect(before.items.map((e) => e.id)).toContain(first.id);
    expect(before.items.map((e) => e.id)).not.toContain(second.id);
  });

  it('pages with skip and limit, and walks every event once with the cursor', async () => {
    const { user, token } = await auditedUser();
    const filter = { user_id: String(user.id) };
    const page = await audit(token, { ...filter, limit: '3', skip: '2' });
    expect(page).toMatchObject({ total: 4, has_next: false });
    expect(page.items.map((e) => e.event)).toEqual(['login_failed', 'user_registered']);

    const walked: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const next = await audit(token, { ...filter, limit: '3', cursor });
      expect(next.total).toBeUndefined();
      walked.push(...next.items.map((e) => e.event));
      if (!next.next_cursor) break;
      cursor = next.next_cursor;
    }
    expect(walked).toEqual([
      'user_updated_by_admin',
      'login_succeeded',
      'login_failed',
      'user_registered',
    ]);
  });

  it('refuses an unknown event, a bad id and a tampered cursor with 422', async () => {
    const { token } = await auditedUser();
    for (const query of ['event=nothing', 'user_id=abc', 'actor_id=0', 'cursor=forged']) {
      const response = await authed(token, `/audit?${query}`);
      expect(response.status, query).toBe(422);
      expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    }
  });
});

/** Every secret a user's journey handles: none may reach the audit log. */
async function journey(user: TestUser, admin: Awaited<ReturnType<typeof superuser>>) {
  const secrets = [user.password, 'Wr0ngPassword1', env.SECRET_KEY];
  await loginForm(user.email, 'Wr0ngPassword1');
  const first = await login(user);
  secrets.push(first.access_token, first.refresh_token);
  const refreshed = await postJson('/auth/jwt/refresh', { refresh_token: first.refresh_token });
  const pair = (await refreshed.json()) as { access_token: string; refresh_token: string };
  secrets.push(pair.access_token, pair.refresh_token);
  await postJson('/auth/jwt/refresh', { refresh_token: first.refresh_token }); // reuse

  const second = await login(user);
  secrets.push(second.access_token, second.refresh_token);
  const newPassword = 'N3wSecretPassword';
  secrets.push(newPassword);
  await authed(second.access_token, '/users/me', {
    method: 'PATCH',
    body: JSON.stringify({ password: newPassword, current_password: user.password }),
  });

  await postJson('/auth/forgot-password', { email: user.email });
  // The verification, the password-changed notice, then the reset link.
  const mails = await waitForMail(user.email, 3);
  const resetMail = mails.find((mail) => /reset-password/.test(mail.text ?? ''));
  if (!resetMail) throw new Error('no reset e-mail');
  const resetToken = tokenFrom(resetMail);
  const resetPassword = 'R3setSecretPassword';
  secrets.push(resetToken, resetPassword);
  expect(
    (await postJson('/auth/reset-password', { token: resetToken, password: resetPassword })).status,
  ).toBe(200);

  const adminPassword = 'Adm1nSetPassword';
  secrets.push(adminPassword);
  await authed(admin.tokens.access_token, `/users/${user.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ password: adminPassword }),
  });
  const third = await login({ email: user.email, password: adminPassword });
  secrets.push(third.access_token, third.refresh_token);
  await authed(third.access_token, '/auth/jwt/logout', { method: 'POST' });
  return secrets;
}

describe('audit events never hold secrets (issue 15)', () => {
  it('keeps passwords, tokens, hashes and keys out of every event of a whole journey', async () => {
    const admin = await superuser();
    const user = await registerUser();
    const secrets = await journey(user, admin);
    const [row] = await testDb().query.users.findMany({ where: (u, { eq }) => eq(u.id, user.id) });
    if (row?.hashedPassword) secrets.push(row.hashedPassword);

    const { items } = await audit(admin.tokens.access_token, {
      user_id: String(user.id),
      limit: '100',
    });
    expect(new Set(items.map((e) => e.event))).toEqual(
      new Set([
        'user_registered',
        'login_failed',
        'login_succeeded',
        'refresh_token_reused',
        'password_changed',
        'password_reset',
        'user_updated_by_admin',
        'logout',
      ]),
    );
    const logged = JSON.stringify(items);
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
});
