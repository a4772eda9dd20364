import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono, MiddlewareHandler } from 'hono';
import { contextStorage } from 'hono/context-storage';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import type { MergeSchemaPath } from 'hono/types';
import type { AppEnv } from './context';
import { AppError, problemResponse } from './lib/errors';
import { createLogger } from './lib/logger';
import { observe } from './middleware/observe';
import { API_POLICY, rateLimit, underApiPolicy } from './middleware/rate-limit';
import { bodyLimit, cors, jsonBody, securityHeaders } from './middleware/security';
import { services } from './middleware/services';
import { registerLinkPages } from './modules/auth/auth.pages';
import { registerDocs } from './modules/docs/docs.index';
import { MODULES } from './modules/index';
import type { Module } from './modules/module';
import { isDatabaseUnreachable, sqlState } from './platform/db/client';

/** Maps what Hono and its validators throw onto the error catalogue. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new AppError('PAYLOAD_TOO_LARGE', { cause: error });
    if (error.status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', { cause: error });
    if (error.status === 401) return new AppError('UNAUTHORIZED', { cause: error });
    if (error.status < 500) {
      return new AppError('BAD_REQUEST', { detail: error.message, cause: error });
    }
  }
  // Postgres' data exceptions (class 22: a NUL byte in text, a number out of range…) are bad
  // input that got past validation: the statement failed, so nothing was written.
  if (sqlState(error)?.startsWith('22')) {
    return new AppError('VALIDATION_ERROR', {
      detail: 'A value is not valid for the database (out of range or unsupported characters)',
      cause: error,
    });
  }
  // The database is out of reach (down, or its proxy overloaded): a 503 the client may retry later.
  if (isDatabaseUnreachable(error)) {
    return new AppError('DATABASE_UNAVAILABLE', { headers: { 'Retry-After': '5' }, cause: error });
  }
  return new AppError('INTERNAL_ERROR', { cause: error });
}

/**
 * `middleware` on the requests `applies` accepts: a plain test per request rather than
 * `hono/combine`'s `except`, which runs a router per request.
 */
function only(applies: (path: string) => boolean, middleware: MiddlewareHandler<AppEnv>) {
  return createMiddleware<AppEnv>(function only(c, next) {
    return applies(c.req.path) ? middleware(c, next) : next();
  });
}

/** The QStash webhook reads its raw body itself: its signature covers the exact bytes. */
const JOBS = '/jobs/';

/**
 * Builds the whole application: global middleware, error rendering, the modules (those of
 * `src/modules/index.ts` unless given) and the docs, mounted under `prefix` (`API_V1_PREFIX`).
 *
 * @example
 * const app = createApp('/api/v1');
 * const response = await app.request('/api/v1/health', {}, env);
 */
export function createApp(prefix: string, modules: readonly Module[] = MODULES) {
  const app = new OpenAPIHono<AppEnv>();

  app.use(contextStorage());
  app.use(requestId({ headerName: 'X-Request-ID' }));
  app.use(observe());
  app.use(securityHeaders());
  app.use(services());
  app.use(cors());
  // The default rate limit, on every API route but those of API_POLICY_EXEMPT.
  app.use(
    `${prefix}/*`,
    only((path) => underApiPolicy(prefix, path), rateLimit(API_POLICY)),
  );
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        problemResponse(
          c,
          new AppError('METHOD_NOT_ALLOWED', { headers: { Allow: methods.join(', ') } }),
        ),
    }),
  );
  app.use(bodyLimit());
  app.use(
    `${prefix}/*`,
    only((path) => !path.startsWith(prefix + JOBS), jsonBody()),
  );

  for (const module of modules) app.route(prefix, module.router);
  registerDocs(app, prefix, modules);
  registerLinkPages(app, prefix);

  app.notFound((c) =>
    problemResponse(
      c,
      new AppError('NOT_FOUND', { detail: `No route for ${c.req.method} ${c.req.path}` }),
    ),
  );
  app.onError((error, c) => {
    let appError = toAppError(error);
    if (appError.status >= 500) {
      const logger = c.get('logger') ?? createLogger('error', { request_id: c.get('requestId') });
      const cause =
        error instanceof Error
          ? { name: error.name, message: error.message, stack: error.stack }
          : { message: String(error) };
      logger.error('request failed', { code: appError.code, error: cause });
      // Only a developer's own machine sees what went wrong; elsewhere it stays in the log.
      if (appError.code === 'INTERNAL_ERROR' && c.get('settings')?.APP_ENV === 'development') {
        appError = new AppError('INTERNAL_ERROR', {
          detail: cause.message,
          extensions: { stack: cause.stack },
          cause: error,
        });
      }
    }
    return problemResponse(c, appError);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;

type RoutesOf<M> = M extends { router: Hono<AppEnv, infer S> } ? S : never;
type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (
  intersection: infer I,
) => void
  ? I
  : never;

/**
 * The app's type with every route of every module, for a typed client:
 * `hc<AppType>('https://api.example.com')` (README, "A typed client").
 */
export type AppType = Hono<
  AppEnv,
  MergeSchemaPath<UnionToIntersection<RoutesOf<(typeof MODULES)[number]>>, '/api/v1'>
>;
