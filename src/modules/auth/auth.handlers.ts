import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, AuthedEnv } from '../../context';
import { AppError } from '../../lib/errors';
import type { AppRouteHandler } from '../../lib/openapi';
import { requestMeta } from '../../lib/request-meta';
import { clearAuthCookie, setAuthCookie } from './auth.cookies';
import { limitEmailRequests, limitPasswordGuesses } from './auth.limits';
import type * as routes from './auth.routes';
import type { LoginFormSchema, LoginJsonSchema } from './auth.schemas';
import * as authService from './auth.service';
import * as authSessions from './auth.sessions';

/** What the login routes validate: the OAuth2 form or the same fields as JSON. */
type LoginInput =
  Parameters<AppRouteHandler<typeof routes.jwtLogin>>[0] extends Context<AppEnv, string, infer I>
    ? I
    : never;
type LoginForm = z.output<typeof LoginFormSchema>;
type LoginJson = z.output<typeof LoginJsonSchema>;

const ACCEPTED = { detail: 'If the address has an account, an e-mail is on its way.' };

/**
 * Credentials from the form (OAuth2 password grant) or the JSON body, whichever was sent,
 * counted against the per-account limits under the address the login will look up.
 */
async function credentials<P extends string>(c: Context<AppEnv, P, LoginInput>) {
  // Only the body that was sent is validated; the other target reads as empty.
  const form: Partial<LoginForm> = c.req.valid('form') ?? {};
  const json: Partial<LoginJson> = c.req.valid('json') ?? {};
  const email = form.username ?? json.username ?? json.email;
  const password = form.password ?? json.password;
  if (!email || !password) {
    throw new AppError('VALIDATION_ERROR', {
      detail: 'username and password are required',
      errors: [
        { path: 'body', message: 'username and password are required', code: 'invalid_type' },
      ],
    });
  }
  await limitPasswordGuesses(c, email);
  return { email, password };
}

export const register: AppRouteHandler<typeof routes.register> = async (c) => {
  const user = await authService.register(c.var, c.req.valid('json'), requestMeta(c));
  return c.json(user, 201);
};

export const jwtLogin: AppRouteHandler<typeof routes.jwtLogin> = async (c) => {
  const tokens = await authService.login(c.var, await credentials(c), 'bearer', requestMeta(c));
  return c.json(tokens, 200);
};

export const jwtRefresh: AppRouteHandler<typeof routes.jwtRefresh> = async (c) => {
  const tokens = await authSessions.refresh(
    c.var,
    c.req.valid('json').refresh_token,
    requestMeta(c),
  );
  return c.json(tokens, 200);
};

const logout = async (c: Context<AuthedEnv>) => {
  const { user, auth } = c.var;
  await authSessions.endSession(c.var, user.id, auth.familyId, 'logout', requestMeta(c));
};

export const jwtLogout: AppRouteHandler<typeof routes.jwtLogout> = async (c) => {
  await logout(c);
  return c.body(null, 204);
};

export const cookieLogin: AppRouteHandler<typeof routes.cookieLogin> = async (c) => {
  const tokens = await authService.login(c.var, await credentials(c), 'cookie', requestMeta(c));
  setAuthCookie(c, c.get('settings'), tokens.access_token);
  return c.body(null, 204);
};

export const cookieLogout: AppRouteHandler<typeof routes.cookieLogout> = async (c) => {
  await logout(c);
  clearAuthCookie(c, c.get('settings'));
  return c.body(null, 204);
};

/**
 * The lookup and the e-mail run after the response (`waitUntil`), so the answer and its
 * timing are the same whether or not the address has an account.
 */
function inBackground(c: Context<AppEnv>, work: Promise<unknown>) {
  c.executionCtx.waitUntil(
    work.catch((error: unknown) =>
      c.get('logger').error('background e-mail request failed', { error: String(error) }),
    ),
  );
}

export const requestVerifyToken: AppRouteHandler<typeof routes.requestVerifyToken> = async (c) => {
  const { email } = c.req.valid('json');
  await limitEmailRequests(c, email);
  inBackground(c, authService.requestVerification(c.var, email));
  return c.json(ACCEPTED, 202);
};

export const verify: AppRouteHandler<typeof routes.verify> = async (c) => {
  const user = await authService.verify(c.var, c.req.valid('json').token, requestMeta(c));
  return c.json(user, 200);
};

export const forgotPassword: AppRouteHandler<typeof routes.forgotPassword> = async (c) => {
  const { email } = c.req.valid('json');
  await limitEmailRequests(c, email);
  inBackground(c, authService.forgotPassword(c.var, email));
  return c.json(ACCEPTED, 202);
};

export const resetPassword: AppRouteHandler<typeof routes.resetPassword> = async (c) => {
  const { token, password } = c.req.valid('json');
  await authService.resetPassword(c.var, token, password, requestMeta(c));
  return c.json({ detail: 'Password changed. Every session has ended; log in again.' }, 200);
};

export const reportEmailChange: AppRouteHandler<typeof routes.reportEmailChange> = async (c) => {
  await authService.reportEmailChange(c.var, c.req.valid('json').token, requestMeta(c));
  return c.json(
    { detail: 'The account has its old address back and every session has ended.' },
    200,
  );
};
