import { OpenAPIHono } from '@hono/zod-openapi';
import { contextStorage } from 'hono/context-storage';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import type { AppEnv } from './env';
import { AppError, problemResponse } from './lib/errors';
import { createLogger } from './lib/logger';
import { observe } from './middleware/observe';
import { API_POLICY, rateLimit } from './middleware/rate-limit';
import { bodyLimit, cors, securityHeaders } from './middleware/security';
import { services } from './middleware/services';
import { authRouter } from './modules/auth/auth.index';
import { registerDocs } from './modules/docs/docs.index';
import { healthRouter } from './modules/health/health.index';
import { jobsRouter } from './modules/jobs/jobs.index';
import { usersRouter } from './modules/users/users.index';
import { sqlState } from './platform/db/client';

/** Maps what Hono and its validators throw onto the error catalogue. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 400 && /malformed json/i.test(error.message)) {
      return new AppError('MALFORMED_JSON', { detail: error.message, cause: error });
    }
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
  return new AppError('INTERNAL_ERROR', { cause: error });
}

/**
 * The default rate limit, on every route under `prefix` but health and the docs (no I/O) and
 * the QStash webhook (authenticated by its signature). A set and two prefixes rather than
 * `hono/combine`'s `except`, which runs a router on every request.
 */
function apiRateLimit(prefix: string) {
  const limit = rateLimit(API_POLICY);
  const exact = new Set(
    ['/health', '/openapi.json', '/docs', '/redoc'].map((path) => prefix + path),
  );
  const trees = ['/health/', '/jobs/'].map((path) => prefix + path);
  return createMiddleware<AppEnv>(function apiRateLimit(c, next) {
    const { path } = c.req;
    if (exact.has(path) || trees.some((tree) => path.startsWith(tree))) return next();
    return limit(c, next);
  });
}

/**
 * Builds the whole application: global middleware, error rendering, the v1 modules and the
 * docs, mounted under `prefix` (`API_V1_PREFIX`).
 *
 * @example
 * const app = createApp('/api/v1');
 * const response = await app.request('/api/v1/health', {}, env);
 */
export function createApp(prefix: string) {
  const app = new OpenAPIHono<AppEnv>();

  app.use(contextStorage());
  app.use(requestId({ headerName: 'X-Request-ID' }));
  app.use(observe());
  app.use(securityHeaders());
  app.use(services());
  app.use(cors());
  app.use(`${prefix}/*`, apiRateLimit(prefix));
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

  app.route(prefix, healthRouter);
  app.route(prefix, authRouter);
  app.route(prefix, usersRouter);
  app.route(prefix, jobsRouter);
  registerDocs(app, prefix);

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
