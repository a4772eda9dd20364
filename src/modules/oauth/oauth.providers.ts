import {
  decodeIdToken,
  GitHub,
  Google,
  generateCodeVerifier,
  generateState,
  OAuth2RequestError,
  type OAuth2Tokens,
} from 'arctic';
import { z } from 'zod';
import { AppError } from '../../lib/errors';
import type { Settings } from '../../settings';
import type { Provider } from './oauth.schemas';

// Google and GitHub through arctic: the authorization URL, the code exchange and the profile.
// Only this file talks to the providers.

/** Who the provider says the user is. */
export interface ProviderProfile {
  accountId: string;
  email: string;
  /** The provider has verified that the user owns `email`. */
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  avatarUrl: string | null;
}

export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
}

const GOOGLE_SCOPES = ['openid', 'email', 'profile'];
const GITHUB_SCOPES = ['read:user', 'user:email'];
const GITHUB_API = 'https://api.github.com';

/** `PUBLIC_BASE_URL` + `API_V1_PREFIX` + `/auth/{provider}/callback`: what the OAuth app must list, exactly. */
function redirectUri(settings: Settings, provider: Provider): string {
  return `${settings.PUBLIC_BASE_URL.replace(/\/$/, '')}${settings.API_V1_PREFIX}/auth/${provider}/callback`;
}

function client(settings: Settings, provider: Provider): Google | GitHub {
  const [id, secret] =
    provider === 'google'
      ? [settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET]
      : [settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET];
  if (!id || !secret) {
    throw new AppError('OAUTH_PROVIDER_NOT_CONFIGURED', {
      detail: `Login with ${provider} is not set up on this server`,
    });
  }
  const uri = redirectUri(settings, provider);
  return provider === 'google' ? new Google(id, secret, uri) : new GitHub(id, secret, uri);
}

/** Fails with `OAUTH_PROVIDER_NOT_CONFIGURED` unless the provider has its client id and secret. */
export function assertConfigured(settings: Settings, provider: Provider) {
  client(settings, provider);
}

/** A new authorization request: the URL to send the browser to, its state and (Google) PKCE verifier. */
export function createAuthorization(settings: Settings, provider: Provider) {
  const oauth = client(settings, provider);
  const state = generateState();
  if (oauth instanceof Google) {
    const codeVerifier = generateCodeVerifier();
    const url = oauth.createAuthorizationURL(state, codeVerifier, GOOGLE_SCOPES);
    return { url, state, codeVerifier };
  }
  return { url: oauth.createAuthorizationURL(state, GITHUB_SCOPES), state, codeVerifier: null };
}

/**
 * Exchanges the code and reads the profile, within `OAUTH_PROVIDER_TIMEOUT_MS` for the whole
 * exchange. Provider failures become `OAUTH_INVALID_CODE` (a used, expired or foreign code),
 * `OAUTH_PROVIDER_ERROR` or `OAUTH_PROVIDER_TIMEOUT`.
 */
export function exchangeCode(
  settings: Settings,
  provider: Provider,
  code: string,
  codeVerifier: string | null,
): Promise<{ profile: ProviderProfile; tokens: ProviderTokens }> {
  const oauth = client(settings, provider);
  return withTimeout(settings.OAUTH_PROVIDER_TIMEOUT_MS, async (signal) => {
    try {
      if (oauth instanceof Google) {
        if (!codeVerifier) throw new AppError('OAUTH_INVALID_STATE');
        const tokens = await oauth.validateAuthorizationCode(code, codeVerifier);
        return { profile: googleProfile(settings, tokens), tokens: providerTokens(tokens) };
      }
      const tokens = await oauth.validateAuthorizationCode(code);
      const profile = await githubProfile(settings, tokens.accessToken(), signal);
      return { profile, tokens: providerTokens(tokens) };
    } catch (error) {
      throw providerFailure(provider, error);
    }
  });
}

/**
 * Runs `work`, failing with `OAUTH_PROVIDER_TIMEOUT` after `ms`. The signal aborts our own
 * requests; arctic's token request cannot take one, so its answer is then ignored.
 */
async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AppError('OAUTH_PROVIDER_TIMEOUT', { detail: `No answer within ${ms} ms` }));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function providerFailure(provider: Provider, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof OAuth2RequestError) {
    return error.code === 'invalid_grant'
      ? new AppError('OAUTH_INVALID_CODE', { cause: error })
      : new AppError('OAUTH_PROVIDER_ERROR', {
          detail: `${provider} answered ${error.code}`,
          cause: error,
        });
  }
  return new AppError('OAUTH_PROVIDER_ERROR', {
    detail: `The exchange with ${provider} failed`,
    cause: error,
  });
}

function providerTokens(tokens: OAuth2Tokens): ProviderTokens {
  return {
    accessToken: tokens.accessToken(),
    refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : null,
    expiresAt: 'expires_in' in tokens.data ? tokens.accessTokenExpiresAt() : null,
  };
}

const name = (value: string | null | undefined) => value?.trim().slice(0, 50) || null;
const avatar = (value: string | null | undefined) =>
  value?.startsWith('https://') && value.length <= 255 ? value : null;
const email = z.string().trim().max(320).pipe(z.email());

const GoogleClaimsSchema = z.object({
  iss: z.enum(['https://accounts.google.com', 'accounts.google.com']),
  aud: z.string(),
  exp: z.number(),
  sub: z.string().min(1).max(255),
  email: email.optional(),
  email_verified: z.boolean().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  picture: z.string().optional(),
});

/**
 * The profile from Google's ID token. Its signature is not checked: the token comes straight
 * from Google's token endpoint over TLS, in exchange for our client secret, which Google's
 * OpenID Connect guide accepts in place of signature validation for the code flow. Issuer,
 * audience and expiry are still checked.
 */
function googleProfile(settings: Settings, tokens: OAuth2Tokens): ProviderProfile {
  const parsed = GoogleClaimsSchema.safeParse(decodeIdToken(tokens.idToken()));
  if (!parsed.success) {
    throw new AppError('OAUTH_PROVIDER_ERROR', { detail: 'Google sent an unexpected ID token' });
  }
  const claims = parsed.data;
  if (claims.aud !== settings.GOOGLE_CLIENT_ID || claims.exp * 1000 < Date.now()) {
    throw new AppError('OAUTH_PROVIDER_ERROR', { detail: 'Google sent an ID token not for us' });
  }
  if (!claims.email) throw new AppError('OAUTH_EMAIL_UNAVAILABLE');
  return {
    accountId: claims.sub,
    email: claims.email,
    emailVerified: claims.email_verified === true,
    firstName: name(claims.given_name),
    lastName: name(claims.family_name),
    avatarUrl: avatar(claims.picture),
  };
}

const GitHubUserSchema = z.object({
  id: z.number().int(),
  login: z.string(),
  name: z.string().nullish(),
  avatar_url: z.string().nullish(),
});

const GitHubEmailsSchema = z.array(
  z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }),
);

async function githubGet<T extends z.ZodType>(
  settings: Settings,
  path: string,
  accessToken: string,
  schema: T,
  signal: AbortSignal,
): Promise<z.infer<T>> {
  const response = await fetch(`${GITHUB_API}${path}`, {
    headers: {
      Accept: 'application/vnd.github+json',
      Authorization: `Bearer ${accessToken}`,
      'User-Agent': settings.PROJECT_NAME,
      'X-GitHub-Api-Version': '2022-11-28',
    },
    signal,
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new AppError('OAUTH_PROVIDER_ERROR', {
      detail: `GitHub ${path} answered ${response.status}`,
    });
  }
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) {
    throw new AppError('OAUTH_PROVIDER_ERROR', {
      detail: `GitHub ${path} sent an unexpected body`,
    });
  }
  return parsed.data;
}

/** GitHub's `/user`, and its primary address from `/user/emails` with whether it is verified. */
async function githubProfile(
  settings: Settings,
  accessToken: string,
  signal: AbortSignal,
): Promise<ProviderProfile> {
  const [user, emails] = await Promise.all([
    githubGet(settings, '/user', accessToken, GitHubUserSchema, signal),
    githubGet(settings, '/user/emails', accessToken, GitHubEmailsSchema, signal),
  ]);
  const primary = emails.find((entry) => entry.primary);
  const address = email.safeParse(primary?.email);
  if (!primary || !address.success) throw new AppError('OAUTH_EMAIL_UNAVAILABLE');
  const [first, ...rest] = (user.name ?? '').trim().split(/\s+/);
  return {
    accountId: String(user.id),
    email: address.data,
    emailVerified: primary.verified,
    firstName: name(first) ?? name(user.login),
    lastName: name(rest.join(' ')),
    avatarUrl: avatar(user.avatar_url),
  };
}
