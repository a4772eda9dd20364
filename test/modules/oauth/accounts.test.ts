import { desc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../../src/platform/db/schema';
import { tokenFrom, waitForMail } from '../../helpers/mail';
import { type FakeProviders, fakeProviders, signInWith } from '../../helpers/oauth';
import { authed, loginForm, postJson, testDb, uniqueEmail } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

let providers: FakeProviders;
beforeEach(async () => {
  providers = await fakeProviders();
});
afterEach(() => providers.restore());

const someone = (email = uniqueEmail('social')) => ({
  id: String(Math.floor(Math.random() * 1e9)),
  email,
  verified: true,
  name: 'Ada Lovelace',
});

async function accounts(token: string) {
  const response = await authed(token, '/users/me/oauth-accounts');
  expect(response.status).toBe(200);
  expect(response.headers.get('Cache-Control')).toContain('no-store');
  return (await response.json()) as {
    provider: string;
    account_id: string;
    account_email: string;
  }[];
}

const unlink = (token: string, provider: string) =>
  authed(token, `/users/me/oauth-accounts/${provider}`, { method: 'DELETE' });

describe('linked accounts', () => {
  it('lists the links of the signed-in user', async () => {
    const user = someone();
    const { access_token } = await signInWith(providers, 'google', user);
    await signInWith(providers, 'github', { ...user, id: `4242${user.id.slice(0, 4)}` });
    const links = await accounts(access_token);
    expect(links.map((link) => link.provider)).toEqual(['google', 'github']);
    expect(links[0]).toMatchObject({ account_id: user.id, account_email: user.email });
  });

  it('refuses to unlink the last way to log in, and allows it once a password is set', async () => {
    const user = someone();
    const { access_token } = await signInWith(providers, 'google', user);

    const refused = await unlink(access_token, 'google');
    expect(refused.status).toBe(409);
    expect((await readProblem(refused)).code).toBe('OAUTH_LAST_LOGIN_METHOD');
    expect(await accounts(access_token)).toHaveLength(1);

    // A social-only account sets its first password through the reset flow.
    expect((await postJson('/auth/forgot-password', { email: user.email })).status).toBe(202);
    const [message] = await waitForMail(user.email, 1);
    if (!message) throw new Error('no reset e-mail');
    const password = 'Social9Password';
    const reset = await postJson('/auth/reset-password', { token: tokenFrom(message), password });
    expect(reset.status).toBe(200);
    const { access_token: fresh } = (await (await loginForm(user.email, password)).json()) as {
      access_token: string;
    };

    expect((await unlink(fresh, 'google')).status).toBe(204);
    expect(await accounts(fresh)).toEqual([]);
    const me = (await (await authed(fresh, '/users/me')).json()) as { id: number };
    const [last] = await testDb()
      .select({ event: auditLog.event, details: auditLog.details })
      .from(auditLog)
      .where(eq(auditLog.userId, me.id))
      .orderBy(desc(auditLog.id))
      .limit(1);
    expect(last).toEqual({
      event: 'oauth_unlinked',
      details: { provider: 'google', account_id: user.id },
    });
  });

  it('unlinks one provider while another link remains, and answers 404 for a provider not linked', async () => {
    const user = someone();
    const { access_token } = await signInWith(providers, 'google', user);
    await signInWith(providers, 'github', { ...user, id: `77${user.id.slice(0, 6)}` });
    expect((await unlink(access_token, 'github')).status).toBe(204);
    const missing = await unlink(access_token, 'github');
    expect(missing.status).toBe(404);
    expect((await readProblem(missing)).code).toBe('NOT_FOUND');
    // Google is the last one left again.
    expect((await unlink(access_token, 'google')).status).toBe(409);
  });

  it('validates the provider and needs a signed-in user', async () => {
    const unknown = await unlink('not-a-token', 'google');
    expect(unknown.status).toBe(401);
    const user = someone();
    const { access_token } = await signInWith(providers, 'google', user);
    const invalid = await unlink(access_token, 'facebook');
    expect(invalid.status).toBe(422);
  });
});
