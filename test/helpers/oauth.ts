import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import { generateKeyPair, SignJWT } from 'jose';
import { type MockInstance, vi } from 'vitest';
import { API, type Overrides, workerWith } from './worker';

/** OAuth apps registered for the tests, and a front end to come back to. */
export const OAUTH_SETTINGS = {
  GOOGLE_CLIENT_ID: 'stratus-test.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'google-test-secret',
  GITHUB_CLIENT_ID: 'Iv1.stratustest',
  GITHUB_CLIENT_SECRET: 'github-test-secret',
  FRONTEND_URL: 'https://app.example.com',
} satisfies Overrides;

export type ProviderName = 'google' | 'github';

/** Who signs in at the provider. */
export interface ProviderUser {
  id: string;
  email: string;
  verified: boolean;
  name?: string;
}

interface Grant {
  user: ProviderUser;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  used: boolean;
}

const GOOGLE_TOKEN = 'https://oauth2.googleapis.com/token';
const GITHUB_TOKEN = 'https://github.com/login/oauth/access_token';
const GITHUB_API = 'https://api.github.com';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

/**
 * Google and GitHub as seen through `fetch`: their token endpoints (checking client
 * credentials, redirect URI, single use of codes and Google's PKCE verifier), Google's ID
 * token (RS256, signed by a key of the fake) and GitHub's `/user` and `/user/emails`. Every
 * other URL goes to the real `fetch`. `consent` plays the user approving at the provider and
 * answers the callback URL the provider would redirect to.
 */
export async function fakeProviders() {
  const realFetch = globalThis.fetch;
  const { privateKey } = await generateKeyPair('RS256');
  const grants = new Map<string, Grant>();
  const githubTokens = new Map<string, ProviderUser>();
  const fake = {
    /** Milliseconds the token endpoints wait before answering. */
    tokenDelayMs: 0,
    /** A status the token endpoints answer with instead of tokens. */
    tokenStatus: 200,
    /** Requests that reached a token endpoint. */
    tokenRequests: 0,
    /** The last access token handed out. */
    lastAccessToken: '',
    spy: undefined as unknown as MockInstance<typeof fetch>,

    consent(authorizationUrl: string, user: ProviderUser): string {
      const url = new URL(authorizationUrl);
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const code = `code-${crypto.randomUUID()}`;
      grants.set(code, {
        user,
        clientId: url.searchParams.get('client_id') ?? '',
        redirectUri,
        codeChallenge: url.searchParams.get('code_challenge'),
        used: false,
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      return back.href;
    },

    restore() {
      fake.spy.mockRestore();
    },
  };

  async function tokenEndpoint(request: Request, provider: ProviderName): Promise<Response> {
    fake.tokenRequests += 1;
    if (fake.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.tokenDelayMs));
    if (fake.tokenStatus !== 200) return json({ message: 'down' }, fake.tokenStatus);
    const body = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
    const [clientId, secret] = atob(
      (request.headers.get('Authorization') ?? '').replace(/^Basic /, ''),
    ).split(':');
    const expected =
      provider === 'google'
        ? [OAUTH_SETTINGS.GOOGLE_CLIENT_ID, OAUTH_SETTINGS.GOOGLE_CLIENT_SECRET]
        : [OAUTH_SETTINGS.GITHUB_CLIENT_ID, OAUTH_SETTINGS.GITHUB_CLIENT_SECRET];
    if (clientId !== expected[0] || secret !== expected[1]) {
      return json({ error: 'invalid_client' }, 401);
    }
    const grant = grants.get(body.get('code') ?? '');
    if (
      !grant ||
      grant.used ||
      grant.clientId !== clientId ||
      grant.redirectUri !== body.get('redirect_uri')
    ) {
      return json({ error: 'invalid_grant' }, 400);
    }
    if (provider === 'google') {
      const verifier = body.get('code_verifier') ?? '';
      const challenge = encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));
      if (challenge !== grant.codeChallenge) return json({ error: 'invalid_grant' }, 400);
    }
    grant.used = true;
    const accessToken = `${provider}-access-${crypto.randomUUID()}`;
    fake.lastAccessToken = accessToken;
    if (provider === 'github') {
      githubTokens.set(accessToken, grant.user);
      return json({
        access_token: accessToken,
        token_type: 'bearer',
        scope: 'read:user,user:email',
      });
    }
    const [givenName, familyName] = (grant.user.name ?? 'Google User').split(' ');
    const idToken = await new SignJWT({
      email: grant.user.email,
      email_verified: grant.user.verified,
      given_name: givenName,
      family_name: familyName,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'fake-google-key' })
      .setIssuer('https://accounts.google.com')
      .setAudience(clientId)
      .setSubject(grant.user.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    return json({
      access_token: accessToken,
      expires_in: 3599,
      refresh_token: `google-refresh-${crypto.randomUUID()}`,
      scope: 'openid email profile',
      token_type: 'Bearer',
      id_token: idToken,
    });
  }

  function githubApi(request: Request): Response {
    const user = githubTokens.get(
      (request.headers.get('Authorization') ?? '').replace(/^Bearer /, ''),
    );
    if (!user || !request.headers.get('User-Agent'))
      return json({ message: 'Bad credentials' }, 401);
    const path = new URL(request.url).pathname;
    if (path === '/user') {
      return json({
        id: Number(user.id),
        login: 'octocat',
        name: user.name ?? null,
        avatar_url: null,
      });
    }
    if (path === '/user/emails') {
      return json([
        { email: `noreply-${user.id}@users.noreply.github.com`, primary: false, verified: true },
        { email: user.email, primary: true, verified: user.verified, visibility: 'private' },
      ]);
    }
    return json({ message: 'Not Found' }, 404);
  }

  fake.spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = urlOf(input);
    if (url === GOOGLE_TOKEN) return tokenEndpoint(new Request(input, init), 'google');
    if (url === GITHUB_TOKEN) return tokenEndpoint(new Request(input, init), 'github');
    if (url.startsWith(`${GITHUB_API}/`))
      return Promise.resolve(githubApi(new Request(input, init)));
    return realFetch(input, init);
  });
  return fake;
}

export type FakeProviders = Awaited<ReturnType<typeof fakeProviders>>;

/** The `name=value` of a cookie the response sets, for the next request's `Cookie` header. */
export function cookieFrom(response: Response, prefix: string): string {
  const line = response.headers.getSetCookie().find((value) => value.startsWith(prefix));
  if (!line)
    throw new Error(`no ${prefix} cookie in ${response.headers.getSetCookie().join(' | ')}`);
  return line.split(';')[0] ?? '';
}

/** A client of the Worker with the test OAuth apps configured, plus `overrides`. */
export function oauthClient(overrides: Overrides = {}) {
  const send = workerWith({ ...OAUTH_SETTINGS, ...overrides });
  const ip = `203.0.113.${Math.floor(Math.random() * 254) + 1}`;
  const get = (path: string, headers: Record<string, string> = {}) =>
    send(
      new Request(`http://localhost${path}`, {
        headers: { 'CF-Connecting-IP': ip, ...headers },
        redirect: 'manual',
      }),
    );
  return {
    get,
    send,
    /** `GET /auth/{provider}/authorize` and the state cookie it set. */
    async authorize(provider: ProviderName, query = '') {
      const response = await get(`${API}/auth/${provider}/authorize${query}`);
      if (response.status !== 200) {
        throw new Error(`authorize: ${response.status} ${await response.text()}`);
      }
      const { authorization_url } = (await response.json()) as { authorization_url: string };
      return {
        response,
        authorizationUrl: authorization_url,
        cookie: cookieFrom(response, `__Host-stratus_oauth_${provider}=`),
      };
    },
    /** Follows the provider's redirect back to the callback, as the browser would. */
    callback(callbackUrl: string, cookie?: string) {
      const url = new URL(callbackUrl);
      return get(`${url.pathname}${url.search}`, cookie ? { Cookie: cookie } : {});
    },
  };
}

/** A whole social login in bearer mode: authorize, consent at `fake`, callback; the token pair. */
export async function signInWith(
  fake: FakeProviders,
  provider: ProviderName,
  user: ProviderUser,
): Promise<{ access_token: string; refresh_token: string }> {
  const client = oauthClient();
  const { authorizationUrl, cookie } = await client.authorize(provider);
  const response = await client.callback(fake.consent(authorizationUrl, user), cookie);
  if (response.status !== 200)
    throw new Error(`callback: ${response.status} ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token: string };
}
