import { createRoute, z } from '@hono/zod-openapi';
import { authedRoute, errorResponses, jsonBody, jsonContent } from '../../lib/openapi';
import { requireAllowedOrigin } from '../../middleware/authenticate';
import { UserCreateSchema, UserReadSchema } from '../users/users.schemas';
import { limits } from './auth.limits';
import {
  AcceptedSchema,
  EmailRequestSchema,
  LoginFormSchema,
  LoginJsonSchema,
  RefreshSchema,
  ResetPasswordSchema,
  TokenSchema,
  VerifySchema,
} from './auth.schemas';

const tags = ['auth'];

const loginBody = {
  required: false,
  description: 'OAuth2 password grant (form) or the same fields as JSON.',
  content: {
    'application/x-www-form-urlencoded': { schema: LoginFormSchema },
    'application/json': { schema: LoginJsonSchema },
  },
};

/** The e-mail requests: always 202 with the same body, so nothing tells whether an address has an account. */
function emailRequest<P extends string>(path: P, operationId: string, summary: string) {
  return createRoute({
    method: 'post',
    path,
    operationId,
    tags,
    summary,
    description: 'Always 202 with the same body, whether or not the address has an account.',
    middleware: [...limits.emailRequest],
    request: { body: jsonBody(EmailRequestSchema) },
    responses: {
      202: jsonContent(AcceptedSchema, 'Accepted'),
      ...errorResponses('RATE_LIMITED', 'SERVICE_UNAVAILABLE'),
    },
  });
}

const LOGIN_ERRORS = errorResponses(
  'LOGIN_BAD_CREDENTIALS',
  'LOGIN_USER_NOT_VERIFIED',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
);

export const register = createRoute({
  method: 'post',
  path: '/auth/register',
  operationId: 'auth.register',
  tags,
  summary: 'Register a new account',
  description: 'Creates the account and e-mails a verification link.',
  middleware: [...limits.register],
  request: { body: jsonBody(UserCreateSchema) },
  responses: {
    201: jsonContent(UserReadSchema, 'The new user'),
    ...errorResponses('REGISTER_USER_ALREADY_EXISTS', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'),
  },
});

export const jwtLogin = createRoute({
  method: 'post',
  path: '/auth/jwt/login',
  operationId: 'auth.login',
  tags,
  summary: 'Log in for a bearer access token and a refresh token',
  middleware: [...limits.login],
  request: { body: loginBody },
  responses: { 200: jsonContent(TokenSchema, 'The tokens'), ...LOGIN_ERRORS },
});

export const jwtRefresh = createRoute({
  method: 'post',
  path: '/auth/jwt/refresh',
  operationId: 'auth.refresh',
  tags,
  summary: 'Exchange a refresh token for new tokens (the old one stops working)',
  description:
    'Presenting a refresh token that was already used revokes every token of its session.',
  middleware: [...limits.refresh],
  request: { body: jsonBody(RefreshSchema) },
  responses: {
    200: jsonContent(TokenSchema, 'The new tokens'),
    ...errorResponses('REFRESH_TOKEN_INVALID', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'),
  },
});

export const jwtLogout = authedRoute({
  method: 'post',
  path: '/auth/jwt/logout',
  operationId: 'auth.logout',
  tags,
  summary: 'End the session of this access token',
  responses: { 204: { description: 'Logged out' } },
});

export const cookieLogin = createRoute({
  method: 'post',
  path: '/auth/cookie/login',
  operationId: 'auth.cookieLogin',
  tags,
  summary: 'Log in with a session cookie',
  description: 'Needs an allowed `Origin`, like every cookie-authenticated change (login CSRF).',
  middleware: [requireAllowedOrigin(), ...limits.login],
  request: { body: loginBody },
  responses: {
    204: { description: 'Logged in; the cookie is set' },
    ...LOGIN_ERRORS,
    ...errorResponses('ORIGIN_NOT_ALLOWED'),
  },
});

export const cookieLogout = authedRoute({
  method: 'post',
  path: '/auth/cookie/logout',
  operationId: 'auth.cookieLogout',
  tags,
  summary: 'End the cookie session and clear the cookie',
  responses: { 204: { description: 'Logged out' } },
});

export const requestVerifyToken = emailRequest(
  '/auth/request-verify-token',
  'auth.requestVerifyToken',
  'E-mail a new verification link',
);

export const verify = createRoute({
  method: 'post',
  path: '/auth/verify',
  operationId: 'auth.verify',
  tags,
  summary: 'Verify an e-mail address with the token from the e-mail',
  middleware: [...limits.token],
  request: { body: jsonBody(VerifySchema) },
  responses: {
    200: jsonContent(UserReadSchema, 'The verified user'),
    ...errorResponses('VERIFY_USER_BAD_TOKEN', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'),
  },
});

export const forgotPassword = emailRequest(
  '/auth/forgot-password',
  'auth.forgotPassword',
  'E-mail a password reset link',
);

export const resetPassword = createRoute({
  method: 'post',
  path: '/auth/reset-password',
  operationId: 'auth.resetPassword',
  tags,
  summary: 'Set a new password with the token from the e-mail',
  description: 'Ends every session of the account and e-mails a notice.',
  middleware: [...limits.token],
  request: { body: jsonBody(ResetPasswordSchema) },
  responses: {
    200: jsonContent(z.object({ detail: z.string().max(255) }), 'Password changed'),
    ...errorResponses('RESET_PASSWORD_BAD_TOKEN', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'),
  },
});

export const reportEmailChange = createRoute({
  method: 'post',
  path: '/auth/report-email-change',
  operationId: 'auth.reportEmailChange',
  tags,
  summary: 'Report an e-mail change with the token sent to the old address',
  description:
    'Gives the account its old address back (cancelling a pending change or undoing a confirmed one), voids the links sent since, and ends every session.',
  middleware: [...limits.token],
  request: { body: jsonBody(VerifySchema) },
  responses: {
    200: jsonContent(z.object({ detail: z.string().max(255) }), 'The old address is back'),
    ...errorResponses(
      'VERIFY_USER_BAD_TOKEN',
      'UPDATE_USER_EMAIL_ALREADY_EXISTS',
      'RATE_LIMITED',
      'SERVICE_UNAVAILABLE',
    ),
  },
});
