import { createRoute, z } from '@hono/zod-openapi';
import { MAX_URL_LENGTH } from '../../lib/errors';
import { authedRoute, errorResponses, jsonContent } from '../../lib/openapi';
import { OAUTH_PROVIDERS } from '../../platform/db/schema';
import { TokenSchema } from '../auth/auth.schemas';
import { limits } from './oauth.limits';
import {
  AuthorizationUrlSchema,
  AuthorizeQuerySchema,
  CallbackQuerySchema,
  OAuthAccountReadSchema,
  ProviderParamSchema,
} from './oauth.schemas';

const tags = ['oauth'];

const REDIRECT = {
  description: 'Redirect (`Location`)',
  headers: {
    Location: { schema: { type: 'string' as const, format: 'uri', maxLength: MAX_URL_LENGTH } },
  },
};

export const authorize = createRoute({
  method: 'get',
  path: '/auth/{provider}/authorize',
  operationId: 'oauth.authorize',
  tags,
  summary: 'Start a social login (Google or GitHub)',
  description: [
    'Step 1 of the login: answers `{authorization_url}` (or, with `redirect=true`, a 302 to it) and sets a short-lived',
    "HttpOnly state cookie (`__Host-stratus_oauth_{provider}`: the `state`, Google's PKCE S256 verifier, `mode` and `next`)",
    'that binds the login to this browser. Send the browser there; the provider sends it back to',
    '`GET /auth/{provider}/callback`. Swagger UI cannot follow this flow: open the URL in the browser.',
    '`mode=cookie` makes the callback set the auth cookie and redirect to `FRONTEND_URL` + `next`.',
  ].join(' '),
  middleware: [...limits.flow],
  request: { params: ProviderParamSchema, query: AuthorizeQuerySchema },
  responses: {
    200: jsonContent(AuthorizationUrlSchema, 'Where to send the browser'),
    302: REDIRECT,
    ...errorResponses('OAUTH_PROVIDER_NOT_CONFIGURED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'),
  },
});

export const callback = createRoute({
  method: 'get',
  path: '/auth/{provider}/callback',
  operationId: 'oauth.callback',
  tags,
  summary: 'Finish a social login (the provider redirects here)',
  description: [
    'Step 2, called by the browser coming back from the provider. The `state` must match the cookie set by',
    '`authorize` (compared in constant time, good once); the code is exchanged for the profile (Google: the ID',
    "token's `sub`, `email`, `email_verified`; GitHub: `/user` and the primary address of `/user/emails`).",
    'Then: a linked account signs in; else an account with the same address is linked when the provider verified',
    'the address (`OAUTH_LINK_VERIFIED_EMAILS`), and refused with 409 `OAUTH_USER_ALREADY_EXISTS` otherwise; else a',
    'verified account without a password is created. Bearer mode answers the token pair; cookie mode sets the auth',
    'cookie and redirects to the front end, or there with `?error=CODE` on failure. The state cookie is cleared',
    'either way.',
  ].join(' '),
  middleware: [...limits.flow],
  request: { params: ProviderParamSchema, query: CallbackQuerySchema },
  responses: {
    200: jsonContent(TokenSchema, 'Signed in (bearer mode)'),
    302: REDIRECT,
    ...errorResponses(
      'OAUTH_PROVIDER_NOT_CONFIGURED',
      'OAUTH_INVALID_STATE',
      'OAUTH_ACCESS_DENIED',
      'OAUTH_INVALID_CODE',
      'OAUTH_EMAIL_UNAVAILABLE',
      'OAUTH_USER_ALREADY_EXISTS',
      'LOGIN_BAD_CREDENTIALS',
      'LOGIN_USER_NOT_VERIFIED',
      'OAUTH_PROVIDER_ERROR',
      'OAUTH_PROVIDER_TIMEOUT',
      'RATE_LIMITED',
      'SERVICE_UNAVAILABLE',
    ),
  },
});

export const listAccounts = authedRoute({
  method: 'get',
  path: '/users/me/oauth-accounts',
  operationId: 'oauth.listMyAccounts',
  tags,
  summary: 'My linked social logins',
  responses: {
    200: jsonContent(
      // At most one account per provider (a unique index).
      z.array(OAuthAccountReadSchema).max(OAUTH_PROVIDERS.length),
      'Linked provider accounts, oldest first',
    ),
  },
});

export const unlinkAccount = authedRoute({
  method: 'delete',
  path: '/users/me/oauth-accounts/{provider}',
  operationId: 'oauth.unlinkMyAccount',
  tags,
  summary: 'Unlink a social login',
  description:
    'Refused with 409 `OAUTH_LAST_LOGIN_METHOD` when it is the only way left to log in (no password and no other link): set a password first (forgot/reset password).',
  request: { params: ProviderParamSchema },
  errors: ['NOT_FOUND', 'OAUTH_LAST_LOGIN_METHOD'],
  responses: {
    204: { description: 'Unlinked' },
  },
});
