import { and, desc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decryptSecret } from '../../../src/platform/crypto/secret-box';
import { auditLog, casbinRule, oauthAccounts, users } from '../../../src/platform/db/schema';
import { capturingLogs } from '../../helpers/logs';
import {
  cookieFrom,
  type FakeProviders,
  fakeProviders,
  OAUTH_SETTINGS,
  oauthClient,
  type ProviderUser,
} from '../../helpers/oauth';
import { bearer, registerUser, type Tokens, testDb, uniqueEmail } from '../../helpers/users';
import { API, readProblem } from '../../helpers/worker';

let providers: FakeProviders;
beforeEach(async () => {
  providers = await fakeProviders();
});
afterEach(() => providers.restore());

const person = (overrides: Partial<ProviderUser> = {}): ProviderUser => ({
  id: String(Math.floor(Math.random() * 1e9)),
  email: uniqueEmail('social'),
  verified: true,
  name: 'Ada Lovelace',
  ...overrides,
});

/** authorize → consent at the provider → callback with the state cookie. */
async function socialLogin(
  provider: 'google' | 'github',
  user: ProviderUser,
  client = oauthClient(),
  query = '',
) {
  const { authorizationUrl, cookie } = await client.authorize(provider, query);
  const callbackUrl = providers.consent(authorizationUrl, user);
  const response = await client.callback(callbackUrl, cookie);
  return { response, callbackUrl, cookie, client };
}

async function signedIn(response: Response): Promise<Tokens> {
  if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as Tokens;
}

async function me(client: ReturnType<typeof oauthClient>, token: string) {
  const response = await client.get(`${API}/users/me`, bearer(token));
  return (await response.json()) as { id: number; email: string; is_verified: boolean };
}

const events = async (userId: number) =>
  (
    await testDb()
      .select({ event: auditLog.event, details: auditLog.details })
      .from(auditLog)
      .where(eq(auditLog.userId, userId))
      .orderBy(desc(auditLog.id))
  ).map((row) => ({ event: row.event, provider: row.details?.provider }));

describe('authorize', () => {
  it('sends the browser to Google with PKCE S256, the exact redirect URI and a __Host- state cookie', async () => {
    const { authorizationUrl, response } = await oauthClient().authorize('google');
    const url = new URL(authorizationUrl);
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(
      'http://localhost:8787/api/v1/auth/google/callback',
    );
    expect(url.searchParams.get('client_id')).toBe(OAUTH_SETTINGS.GOOGLE_CLIENT_ID);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    const state = url.searchParams.get('state');
    expect(state).toMatch(/^[\w-]{20,}$/);
    const setCookie = response.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(
      /^__Host-stratus_oauth_google=[\w-]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/m,
    );
    expect(response.headers.get('Cache-Control')).toContain('no-store');
    // The verifier travels only in the cookie, never in the URL.
    expect(authorizationUrl).not.toContain('code_verifier');
  });

  it('redirects to GitHub with redirect=true', async () => {
    const response = await oauthClient().get(`${API}/auth/github/authorize?redirect=true`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('Location') ?? '');
    expect(location.origin + location.pathname).toBe('https://github.com/login/oauth/authorize');
    expect(location.searchParams.get('redirect_uri')).toBe(
      'http://localhost:8787/api/v1/auth/github/callback',
    );
    expect(location.searchParams.has('code_challenge')).toBe(false);
    expect(cookieFrom(response, '__Host-stratus_oauth_github=')).toBeTruthy();
  });

  it('refuses a next that leaves the front end, and keeps one that stays', async () => {
    const client = oauthClient();
    for (const next of [
      'https://evil.example/x',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      'https://app.example.com.evil.example/',
    ]) {
      const response = await client.get(
        `${API}/auth/google/authorize?mode=cookie&next=${encodeURIComponent(next)}`,
      );
      expect(response.status, next).toBe(422);
      const problem = await readProblem(response);
      expect(problem.errors?.[0]?.path).toBe('query.next');
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect((await client.get(`${API}/auth/google/authorize?next=%2Fdashboard`)).status).toBe(200);
  });

  it('answers 404 OAUTH_PROVIDER_NOT_CONFIGURED for a provider without credentials', async () => {
    const client = oauthClient({ GITHUB_CLIENT_ID: '', GITHUB_CLIENT_SECRET: '' });
    for (const path of ['authorize', 'callback?code=x&state=y']) {
      const response = await client.get(`${API}/auth/github/${path}`);
      expect(response.status).toBe(404);
      expect((await readProblem(response)).code).toBe('OAUTH_PROVIDER_NOT_CONFIGURED');
    }
  });
});

describe('callback', () => {
  it('creates a verified account without a password on the first Google login, then reuses the link', async () => {
    const user = person();
    const { response } = await socialLogin('google', user);
    const tokens = await signedIn(response);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.refresh_token).toBeTruthy();
    // The state cookie is cleared by the callback.
    expect(response.headers.getSetCookie().join('\n')).toMatch(
      /__Host-stratus_oauth_google=; Max-Age=0/,
    );
    const client = oauthClient();
    const first = await me(client, tokens.access_token);
    expect(first).toMatchObject({ email: user.email, is_verified: true });
    const [row] = await testDb().select().from(users).where(eq(users.id, first.id));
    expect(row?.hashedPassword).toBeNull();
    expect(row?.firstName).toBe('Ada');
    // Registration and link are written by one statement, in no particular order.
    const byEvent = (a: { event: string }, b: { event: string }) => a.event.localeCompare(b.event);
    expect((await events(first.id)).sort(byEvent)).toEqual([
      { event: 'login_succeeded', provider: 'google' },
      { event: 'oauth_linked', provider: 'google' },
      { event: 'user_registered', provider: 'google' },
    ]);
    // Like a registration, the account gets the default role in the statement that creates it.
    const roles = await testDb()
      .select({ role: casbinRule.v1 })
      .from(casbinRule)
      .where(and(eq(casbinRule.ptype, 'g'), eq(casbinRule.v0, `user:${first.id}`)));
    expect(roles).toEqual([{ role: 'viewer' }]);

    const again = await signedIn((await socialLogin('google', user)).response);
    expect((await me(client, again.access_token)).id).toBe(first.id);
    const links = await testDb()
      .select()
      .from(oauthAccounts)
      .where(eq(oauthAccounts.userId, first.id));
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({
      provider: 'google',
      providerAccountId: user.id,
      accessToken: null,
    });
  });

  it('signs in with GitHub from /user and the primary address of /user/emails', async () => {
    const user = person({ name: 'Grace Brewster Hopper' });
    const tokens = await signedIn((await socialLogin('github', user)).response);
    const account = await me(oauthClient(), tokens.access_token);
    expect(account).toMatchObject({ email: user.email, is_verified: true });
    const [row] = await testDb().select().from(users).where(eq(users.id, account.id));
    expect(row).toMatchObject({
      firstName: 'Grace',
      lastName: 'Brewster Hopper',
      hashedPassword: null,
    });
    // GitHub's API was asked with the token it issued.
    const asked = providers.spy.mock.calls.map(([input]) =>
      String(input instanceof Request ? input.url : input),
    );
    expect(asked).toContain('https://api.github.com/user/emails');
  });

  it('links a provider-verified address to the existing account', async () => {
    const existing = await registerUser();
    const user = person({ email: existing.email.toUpperCase() });
    const tokens = await signedIn((await socialLogin('github', user)).response);
    const account = await me(oauthClient(), tokens.access_token);
    expect(account.id).toBe(existing.id);
    // The provider proved the address, so it is verified now.
    expect(account.is_verified).toBe(true);
    const [link] = await testDb()
      .select()
      .from(oauthAccounts)
      .where(eq(oauthAccounts.userId, existing.id));
    expect(link).toMatchObject({ provider: 'github', providerAccountId: user.id });
    expect((await events(existing.id)).slice(0, 2)).toEqual([
      { event: 'oauth_linked', provider: 'github' },
      { event: 'login_succeeded', provider: 'github' },
    ]);
  });

  it('refuses an unverified address that belongs to an existing account with 409, creating nothing', async () => {
    const existing = await registerUser();
    for (const provider of ['google', 'github'] as const) {
      const { response } = await socialLogin(
        provider,
        person({ email: existing.email, verified: false }),
      );
      expect(response.status).toBe(409);
      expect((await readProblem(response)).code).toBe('OAUTH_USER_ALREADY_EXISTS');
    }
    const links = await testDb()
      .select()
      .from(oauthAccounts)
      .where(eq(oauthAccounts.userId, existing.id));
    expect(links).toEqual([]);
    const sameAddress = await testDb().select().from(users).where(eq(users.email, existing.email));
    expect(sameAddress).toHaveLength(1);
  });

  it('does not link even verified addresses when OAUTH_LINK_VERIFIED_EMAILS is off', async () => {
    const existing = await registerUser();
    const { response } = await socialLogin(
      'google',
      person({ email: existing.email }),
      oauthClient({ OAUTH_LINK_VERIFIED_EMAILS: 'false' }),
    );
    expect(response.status).toBe(409);
    expect((await readProblem(response)).code).toBe('OAUTH_USER_ALREADY_EXISTS');
  });

  it('refuses a deactivated user like a password login', async () => {
    const user = person();
    const tokens = await signedIn((await socialLogin('google', user)).response);
    const { id } = await me(oauthClient(), tokens.access_token);
    await testDb().update(users).set({ isActive: false }).where(eq(users.id, id));
    const { response } = await socialLogin('google', user);
    expect(response.status).toBe(400);
    expect((await readProblem(response)).code).toBe('LOGIN_BAD_CREDENTIALS');
    expect((await events(id))[0]).toEqual({ event: 'login_failed', provider: 'google' });
  });

  it('stores the provider tokens only when asked, and then encrypted', async () => {
    const key = 'oauth-token-encryption-key-for-tests-0123456789';
    const user = person();
    await signedIn(
      (
        await socialLogin(
          'google',
          user,
          oauthClient({ OAUTH_STORE_TOKENS: 'true', OAUTH_TOKEN_ENCRYPTION_KEY: key }),
        )
      ).response,
    );
    const [link] = await testDb()
      .select()
      .from(oauthAccounts)
      .where(
        and(eq(oauthAccounts.provider, 'google'), eq(oauthAccounts.providerAccountId, user.id)),
      );
    expect(link?.accessToken).toMatch(/^v1\./);
    expect(link?.accessToken).not.toContain(providers.lastAccessToken);
    expect(await decryptSecret(key, link?.accessToken ?? '')).toBe(providers.lastAccessToken);
    expect(link?.refreshToken).toMatch(/^v1\./);
    expect(link?.accessTokenExpiresAt).toBeInstanceOf(Date);
  });
});

describe('attacks and failures', () => {
  it('refuses a callback without the state cookie or with another state (400 OAUTH_INVALID_STATE)', async () => {
    const client = oauthClient();
    const { authorizationUrl, cookie } = await client.authorize('google');
    const callbackUrl = providers.consent(authorizationUrl, person());
    const missing = await client.callback(callbackUrl);
    expect(missing.status).toBe(400);
    expect((await readProblem(missing)).code).toBe('OAUTH_INVALID_STATE');

    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'x'.repeat(43));
    const mismatched = await client.callback(forged.href, cookie);
    expect(mismatched.status).toBe(400);
    expect((await readProblem(mismatched)).code).toBe('OAUTH_INVALID_STATE');
    // Cleared on failure too.
    expect(mismatched.headers.getSetCookie().join('\n')).toMatch(
      /__Host-stratus_oauth_google=; Max-Age=0/,
    );

    const noState = new URL(callbackUrl);
    noState.searchParams.delete('state');
    expect((await client.callback(noState.href, cookie)).status).toBe(400);
    expect(providers.tokenRequests).toBe(0);
  });

  it('refuses a replayed callback, with or without the replayed cookie', async () => {
    const { response, callbackUrl, cookie, client } = await socialLogin('github', person());
    expect(response.status).toBe(200);
    for (const replay of [cookie, undefined]) {
      const again = await client.callback(callbackUrl, replay);
      expect(again.status).toBe(400);
      expect((await readProblem(again)).code).toBe('OAUTH_INVALID_STATE');
    }
    expect(providers.tokenRequests).toBe(1);
  });

  it('answers access_denied with a problem in bearer mode', async () => {
    const client = oauthClient();
    const { authorizationUrl, cookie } = await client.authorize('google');
    const state = new URL(authorizationUrl).searchParams.get('state') ?? '';
    const response = await client.callback(
      `http://localhost:8787/api/v1/auth/google/callback?error=access_denied&state=${state}`,
      cookie,
    );
    expect(response.status).toBe(400);
    expect((await readProblem(response)).code).toBe('OAUTH_ACCESS_DENIED');
  });

  it('answers 504 OAUTH_PROVIDER_TIMEOUT when the provider is slower than the setting, without a stack', async () => {
    providers.tokenDelayMs = 1_000;
    const { response } = await socialLogin(
      'google',
      person(),
      oauthClient({ OAUTH_PROVIDER_TIMEOUT_MS: '100' }),
    );
    expect(response.status).toBe(504);
    const problem = await readProblem(response);
    expect(problem.code).toBe('OAUTH_PROVIDER_TIMEOUT');
    expect(JSON.stringify(problem)).not.toMatch(/at \w+ \(|stack/);
  });

  it('answers 502 OAUTH_PROVIDER_ERROR when the provider fails', async () => {
    providers.tokenStatus = 503;
    const { result, lines } = await capturingLogs('error', () => socialLogin('github', person()));
    const { response } = result;
    // The cause is logged for the operator; the client gets only the problem.
    expect(lines.some((line) => line.code === 'OAUTH_PROVIDER_ERROR')).toBe(true);
    expect(response.status).toBe(502);
    expect((await readProblem(response)).code).toBe('OAUTH_PROVIDER_ERROR');
  });
});

describe('cookie mode', () => {
  it('sets the auth cookie and redirects to FRONTEND_URL + next', async () => {
    const { response, client } = await socialLogin(
      'google',
      person(),
      oauthClient(),
      '?mode=cookie&next=%2Fdashboard%3Ftab%3D1',
    );
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toBe('https://app.example.com/dashboard?tab=1');
    const auth = cookieFrom(response, '__Host-stratus_auth=');
    const profile = await client.get(`${API}/users/me`, { Cookie: auth });
    expect(profile.status).toBe(200);
  });

  it('sends failures back to the front end with the error code', async () => {
    const client = oauthClient();
    const { authorizationUrl, cookie } = await client.authorize('github', '?mode=cookie');
    const state = new URL(authorizationUrl).searchParams.get('state') ?? '';
    const denied = await client.callback(
      `http://localhost:8787/api/v1/auth/github/callback?error=access_denied&state=${state}`,
      cookie,
    );
    expect(denied.status).toBe(302);
    expect(denied.headers.get('Location')).toBe(
      'https://app.example.com/?error=OAUTH_ACCESS_DENIED',
    );
    expect(denied.headers.getSetCookie().join('\n')).toMatch(
      /__Host-stratus_oauth_github=; Max-Age=0/,
    );
  });
});
