import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context';
import { authCookieName } from '../modules/auth/auth.cookies';
import { type AccessClaims, verifyAccessToken } from '../modules/auth/auth.tokens';
import type { Module } from '../modules/module';
import type { Preflight } from '../modules/preflight';
import { RedisBatch } from '../platform/redis';
import { limitIn, type RateLimitPolicy, routeLimitsIn } from './rate-limit';

/** RFC 6750's `Bearer b64token`, and nothing after it. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Where a request's access token came from, if it has one. */
export type PresentedToken =
  | { token: string; from: 'header' | 'cookie' }
  | { token: undefined; from: 'header' | 'none' };

/**
 * The access token a request presents: `Authorization: Bearer …` (a malformed header presents
 * none, from `header`), else the auth cookie.
 */
export function presentedToken<E extends AppEnv>(c: Context<E>): PresentedToken {
  const header = c.req.header('Authorization');
  if (header) {
    const token = BEARER.exec(header)?.[1];
    return token ? { token, from: 'header' } : { token: undefined, from: 'header' };
  }
  const token = getCookie(c, authCookieName(c.get('settings')));
  return token ? { token, from: 'cookie' } : { token: undefined, from: 'none' };
}

/**
 * Reads `keys` for a verified token in `batch` and sends it: the {@link Preflight} of that
 * token. Commands already in the batch (a rate-limit check) ride in the same request.
 */
export async function readPreflight(
  batch: RedisBatch,
  token: string,
  claims: AccessClaims,
  keys: readonly string[],
): Promise<Preflight> {
  const start = performance.now();
  const reads = batch.getAll(keys);
  await batch.send();
  try {
    return { token, claims, reads: await reads, durationMs: performance.now() - start };
  } catch (error) {
    return { token, claims, reads: undefined, error, durationMs: performance.now() - start };
  }
}

/**
 * The first middleware of every rate-limited route: one Redis request carrying the default
 * rate limit (`policy`, checked exactly as {@link limitIn} does), the route's own limits per
 * network ({@link routeLimitsIn}; the route's `rateLimit()` applies their results) and, when
 * the request presents a valid access token, every key the modules' `preflight` names for its
 * claims (the cached user, the session's revocation mark, the policy version and the user's
 * roles). What was read is `c.get('preflight')`, where `authenticate()` and the modules find
 * it. A client in the isolate's block cache is refused with no Redis request at all.
 *
 * @example
 * app.use('/api/v1/*', preflight(API_POLICY, MODULES));
 */
export function preflight(policy: RateLimitPolicy, modules: readonly Module[]) {
  const declared = modules.flatMap((module) => (module.preflight ? [module.preflight] : []));
  const keysOf = (claims: AccessClaims) => declared.flatMap((keys) => keys(claims));
  return createMiddleware<AppEnv>(async function preflight(c, next) {
    const batch = new RedisBatch(c.get('redis'));
    const settle = await limitIn(c, policy, batch);
    const routeLimits = await routeLimitsIn(c, batch);
    if (routeLimits) c.set('rateLimitChecks', routeLimits);
    const { token } = presentedToken(c);
    // An invalid token reads nothing; authenticate() refuses it where the route requires one.
    const claims = token
      ? await verifyAccessToken(c.get('settings'), token).catch(() => undefined)
      : undefined;
    if (token && claims)
      c.set('preflight', await readPreflight(batch, token, claims, keysOf(claims)));
    else await batch.send();
    await settle();
    await next();
  });
}
