import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, AuthedEnv } from '../context';
import { AppError } from '../lib/errors';
import * as authSessions from '../modules/auth/auth.sessions';
import type { Settings } from '../settings';
import { presentedToken } from './preflight';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CHALLENGE = { 'WWW-Authenticate': 'Bearer' };

/** Origins a cookie-authenticated change may come from: the API's own and the CORS list. */
function isAllowedOrigin(settings: Settings, origin: string | undefined): boolean {
  if (!origin) return false;
  return (
    origin === new URL(settings.PUBLIC_BASE_URL).origin ||
    settings.BACKEND_CORS_ORIGINS.includes(origin)
  );
}

/** Refuses a request whose `Origin` is not one a cookie-authenticated change may come from. */
function checkOrigin<E extends AppEnv>(c: Context<E>) {
  if (!isAllowedOrigin(c.get('settings'), c.req.header('Origin'))) {
    throw new AppError('ORIGIN_NOT_ALLOWED', {
      detail: 'A cookie-authenticated change must come from an allowed Origin',
    });
  }
}

/**
 * Requires an allowed `Origin` on a route that sets the auth cookie (cookie login), as
 * {@link authenticate} does on cookie-authenticated changes: a cross-site form cannot sign the
 * browser in to an account of the attacker's (login CSRF).
 *
 * @example
 * createRoute({ method: 'post', path: '/auth/cookie/login', middleware: [requireAllowedOrigin()], … })
 */
export function requireAllowedOrigin() {
  return createMiddleware<AppEnv>(async function requireAllowedOrigin(c, next) {
    checkOrigin(c);
    await next();
  });
}

/**
 * Requires an access token, from `Authorization: Bearer …` or the auth cookie, and puts the
 * user and the token's claims on `c.var`. A cookie is sent by the browser on its own, so an
 * unsafe request authenticated by it must also carry an allowed `Origin` (CSRF defence).
 *
 * @example
 * createRoute({ method: 'get', path: '/users/me', middleware: [authenticate()] as const, … })
 */
export function authenticate() {
  return createMiddleware<AuthedEnv>(async function authenticate(c, next) {
    const { token, from } = presentedToken(c);
    if (from === 'header' && !token) {
      throw new AppError('UNAUTHORIZED', { detail: 'Expected a Bearer token', headers: CHALLENGE });
    }
    if (from === 'cookie' && !SAFE_METHODS.has(c.req.method)) checkOrigin(c);
    if (!token) throw new AppError('UNAUTHORIZED', { headers: CHALLENGE });
    try {
      const { user, preflight } = await authSessions.authenticate(
        {
          db: c.get('db'),
          redis: c.get('redis'),
          settings: c.get('settings'),
          logger: c.get('logger'),
          cache: c.get('cache'),
        },
        token,
        c.get('preflight'),
      );
      c.set('user', user);
      c.set('auth', preflight.claims);
      c.set('preflight', preflight);
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHORIZED') {
        throw new AppError('UNAUTHORIZED', {
          detail: error.detail,
          headers: CHALLENGE,
          cause: error,
        });
      }
      throw error;
    }
    await next();
  });
}

/** After {@link authenticate}: only superusers pass; others get 403. */
export function requireSuperuser() {
  return createMiddleware<AuthedEnv>(async function requireSuperuser(c, next) {
    if (!c.get('user')?.is_superuser) throw new AppError('FORBIDDEN', { detail: 'Superuser only' });
    await next();
  });
}
