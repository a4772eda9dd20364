import type { Context } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { cors as honoCors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../context';
import { AppError } from '../lib/errors';
import { perSettings } from '../lib/per-settings';

/**
 * Security headers on every response, errors included: HSTS for a year, `nosniff`,
 * `X-Frame-Options: DENY` and a CSP that loads nothing. A handler that sets its own CSP
 * (the docs pages) keeps it.
 */
export function securityHeaders() {
  return secureHeaders({
    strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'no-referrer',
    crossOriginResourcePolicy: 'same-origin',
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    // Headers that only matter to HTML documents or to retired browsers: a JSON API pays for
    // each header on every response, so these stay off.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    overwrite: false,
    // Nothing here sets X-Powered-By, so there is nothing to remove on each response.
    removePoweredBy: false,
  });
}

/**
 * CORS for the origins of `BACKEND_CORS_ORIGINS` only, with credentials (the auth cookie).
 * Any other origin gets no `Access-Control-Allow-Origin` and the browser blocks it. A request
 * without `Origin` is not a CORS request, so it gets only `Vary: Origin`: hono's middleware
 * would otherwise set its headers before the handler runs, which makes every response be
 * built twice.
 */
export function cors() {
  const handler = honoCors({
    origin: (origin, c: Context<AppEnv>) =>
      c.get('settings').BACKEND_CORS_ORIGINS.includes(origin) ? origin : null,
    credentials: true,
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'X-Request-ID',
      'If-Match',
      'If-None-Match',
      'Idempotency-Key',
    ],
    exposeHeaders: [
      'ETag',
      'Location',
      'Idempotent-Replayed',
      'X-Request-ID',
      'X-Process-Time',
      'Server-Timing',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'Retry-After',
    ],
    maxAge: 600,
  });
  return createMiddleware<AppEnv>(async function cors(c, next) {
    if (c.req.header('Origin') !== undefined) return handler(c, next);
    await next();
    c.res.headers.append('Vary', 'Origin');
  });
}

const limiters = perSettings((settings) =>
  honoBodyLimit({
    maxSize: settings.MAX_BODY_SIZE,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', {
        detail: `The body exceeds ${settings.MAX_BODY_SIZE} bytes`,
      });
    },
  }),
);

/** Refuses bodies over `MAX_BODY_SIZE` bytes with a 413 problem, before a handler reads them. */
export function bodyLimit() {
  return createMiddleware<AppEnv>(function bodyLimit(c, next) {
    return limiters(c.get('settings'))(c, next);
  });
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Parses a JSON request body once, before the validators, so malformed JSON is a 400
 * `MALFORMED_JSON` problem carrying the parser's `SyntaxError` as its cause (Hono's validator
 * would throw a bare 400 with only a message). The raw text stays readable too.
 */
export function jsonBody() {
  return createMiddleware<AppEnv>(async function jsonBody(c, next) {
    if (!JSON_MEDIA_TYPE.test(c.req.header('Content-Type') ?? '')) return next();
    const text = c.req.raw.body === null ? '' : await c.req.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (cause) {
      throw new AppError('MALFORMED_JSON', { detail: 'Malformed JSON in request body', cause });
    }
    // The validators read the body with `c.req.json()`, which would parse the text again and
    // call an empty body malformed: they get this value instead. No body is no value, for the
    // route's schema to accept or refuse (422).
    const body = Promise.resolve(parsed);
    c.req.json = <T>() => body as Promise<T>;
    await next();
  });
}

/** `Cache-Control: no-store`: responses carrying tokens or personal data are never cached. */
export function noStore() {
  return createMiddleware<AppEnv>(async function noStore(c, next) {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
  });
}
