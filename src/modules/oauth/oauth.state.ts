import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { AppError } from '../../lib/errors';
import { frontendUrl, type Settings } from '../../settings';
import type { Provider } from './oauth.schemas';

// The state of a login in progress lives in a short-lived cookie bound to the browser that
// started it: a callback from another browser (login CSRF) or without it fails.

const MAX_AGE_SECONDS = 10 * 60;

const StoredStateSchema = z.object({
  state: z.string().min(1),
  code_verifier: z.string().min(1).nullable(),
  next: z.string().nullable(),
  mode: z.enum(['bearer', 'cookie']),
});

export type StoredState = z.infer<typeof StoredStateSchema>;

/** `__Host-stratus_oauth_google` (Secure, Path=/, no Domain) outside development. */
function cookieName(settings: Settings, provider: Provider) {
  const name = `stratus_oauth_${provider}`;
  return settings.APP_ENV === 'development' ? name : `__Host-${name}`;
}

const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' } as const;

export function setStateCookie(
  c: Context,
  settings: Settings,
  provider: Provider,
  stored: StoredState,
) {
  const value = encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(stored)));
  setCookie(c, cookieName(settings, provider), value, {
    ...COOKIE_OPTIONS,
    maxAge: MAX_AGE_SECONDS,
  });
}

/** The stored state, if any and well formed; the cookie is cleared in the same response either way. */
export function takeStateCookie(
  c: Context,
  settings: Settings,
  provider: Provider,
): StoredState | null {
  const name = cookieName(settings, provider);
  const value = getCookie(c, name);
  deleteCookie(c, name, COOKIE_OPTIONS);
  if (!value) return null;
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(decodeBase64urlIgnorePadding(value)));
    const parsed = StoredStateSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The stored state when the callback's `state` equals it, compared in constant time. */
export function matchState(stored: StoredState | null, received: string | undefined): StoredState {
  const encoder = new TextEncoder();
  if (
    !stored ||
    !received ||
    !constantTimeEqual(encoder.encode(stored.state), encoder.encode(received))
  ) {
    throw new AppError('OAUTH_INVALID_STATE');
  }
  return stored;
}

/** `next` resolved against `FRONTEND_URL`, or null when it leaves it (origin or path). */
function underFrontend(settings: Settings, next: string): URL | null {
  const base = frontendUrl(settings);
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  let target: URL;
  try {
    target = new URL(next, base);
  } catch {
    return null;
  }
  const inside =
    target.origin === base.origin &&
    (target.pathname === base.pathname || target.pathname.startsWith(basePath));
  return inside ? target : null;
}

/**
 * `next` resolved against `FRONTEND_URL`, when it stays there (same origin, under its path);
 * anything else (`//evil.example`, `https://evil.example`, `/\evil.example`) is refused, so the
 * login can never redirect off-site.
 */
export function resolveNext(settings: Settings, next: string): string {
  const target = underFrontend(settings, next);
  if (!target) {
    throw new AppError('VALIDATION_ERROR', {
      detail: 'next must stay on the front end',
      errors: [{ path: 'query.next', message: 'must be under FRONTEND_URL', code: 'custom' }],
    });
  }
  return target.href;
}

/**
 * Where a cookie-mode login ends: `next` (checked again: the cookie came from the browser), or
 * the front end's root, with `?error=CODE` when it failed.
 */
export function frontendRedirect(settings: Settings, next: string | null, error?: string): string {
  const target = (next && underFrontend(settings, next)) || frontendUrl(settings);
  if (error) target.searchParams.set('error', error);
  return target.href;
}
