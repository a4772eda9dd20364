import { type Codes, defineErrors } from '../../lib/errors';

/** Social login: the FastAPI-Users code for an existing address, and ours for the flow. */
export const oauthErrors = defineErrors({
  OAUTH_PROVIDER_NOT_CONFIGURED: { status: 404, title: 'This login provider is not configured' },
  OAUTH_INVALID_STATE: { status: 400, title: 'Missing, expired or mismatched OAuth state' },
  OAUTH_ACCESS_DENIED: { status: 400, title: 'The login was cancelled at the provider' },
  OAUTH_INVALID_CODE: { status: 400, title: 'The provider refused the authorization code' },
  OAUTH_EMAIL_UNAVAILABLE: {
    status: 400,
    title: 'The provider did not share an e-mail address',
  },
  OAUTH_USER_ALREADY_EXISTS: {
    status: 409,
    title: 'An account with this e-mail already exists; log in to it first',
  },
  OAUTH_LAST_LOGIN_METHOD: {
    status: 409,
    title: 'This is the only way to log in to the account; set a password first',
  },
  OAUTH_PROVIDER_ERROR: { status: 502, title: 'The login provider answered with an error' },
  OAUTH_PROVIDER_TIMEOUT: { status: 504, title: 'The login provider did not answer in time' },
});

declare module '../../lib/errors' {
  interface ErrorCatalogue extends Codes<typeof oauthErrors> {}
}
