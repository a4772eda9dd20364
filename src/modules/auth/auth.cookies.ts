import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Settings } from '../../settings';

/**
 * `__Host-stratus_auth` (Secure, Path=/, no Domain: the browser pins it to this host) outside
 * development; plain `stratus_auth` in development.
 */
export function authCookieName(settings: Settings): string {
  return settings.APP_ENV === 'development' ? 'stratus_auth' : '__Host-stratus_auth';
}

/** Stores the access token in an HttpOnly, Secure, SameSite=Lax cookie that expires with it. */
export function setAuthCookie(c: Context, settings: Settings, accessToken: string) {
  setCookie(c, authCookieName(settings), accessToken, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
  });
}

export function clearAuthCookie(c: Context, settings: Settings) {
  deleteCookie(c, authCookieName(settings), {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
  });
}
