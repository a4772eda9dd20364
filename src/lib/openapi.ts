import {
  createRoute,
  OpenAPIHono,
  type RouteConfig,
  type RouteConfigToEnv,
  type RouteHandler,
  z,
} from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ZodError } from 'zod';
import type { AppEnv, AuthedEnv } from '../context';
import { authenticate, requireSuperuser } from '../middleware/authenticate';
import { requirePermission, requireRole } from '../middleware/authorize';
import { AppError, type ErrorCode, errorSpec, type FieldError, problemType } from './errors';

const TARGET_NAMES: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/** Turns zod issues into `errors[]` entries whose path names where the value came from. */
export function fieldErrors(error: ZodError, target: string): FieldError[] {
  const where = TARGET_NAMES[target] ?? target;
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

/**
 * A router configured like every other: request validation failures become a 422
 * `VALIDATION_ERROR` problem listing each failing field.
 *
 * @example
 * export const router = createRouter().openapi(routes.list, handlers.list);
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError('VALIDATION_ERROR', {
          detail: 'The request does not match the schema',
          errors: fieldErrors(result.error, result.target),
        });
      }
    },
  });
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: problemType('NOT_FOUND') }),
    title: z.string().openapi({ example: errorSpec('NOT_FOUND').title }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string(),
    instance: z.string().openapi({ example: '/api/v1/items/42' }),
    code: z.string().openapi({ example: 'NOT_FOUND' }),
    request_id: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string() }))
      .optional(),
  })
  .openapi('Problem');

const PROBLEM_CONTENT = { 'application/problem+json': { schema: ProblemSchema } };

/**
 * Where {@link errorResponses} leaves a route's error codes until the document is built: one
 * symbol key per call, so several spreads into one `responses` all count.
 */
const errorCodeKeys = new Map<symbol, ErrorCode[]>();

/**
 * The error responses of a route, by code: every route also gets 422 (validation) and 500.
 * The codes are turned into problem responses grouped by status when the document is built
 * ({@link documentErrorResponses}), once every module has declared its codes, so a route may
 * name another module's codes. Typed as nothing: handlers return their success responses and
 * throw errors, which `onError` renders; these entries are for the document only.
 *
 * @example
 * responses: { 200: jsonContent(UserSchema, 'The user'), ...errorResponses('UNAUTHORIZED', 'NOT_FOUND') }
 */
export function errorResponses(...codes: ErrorCode[]): Record<never, never> {
  const key = Symbol('error-codes');
  errorCodeKeys.set(key, codes);
  return { [key]: codes } as Record<never, never>;
}

/**
 * The codes the app answers before a route's handler, whatever the route: a body over
 * `MAX_BODY_SIZE`, malformed JSON (parsed for every route), and on routes that take a body a
 * media type they do not accept (or a form that cannot be parsed); on routes with path
 * parameters, an empty parameter that matches no route.
 */
function globalErrors(route: RouteConfig): ErrorCode[] {
  const content = route.request?.body?.content ?? {};
  const form = Object.keys(content).some((type) => type.includes('form'));
  return [
    'PAYLOAD_TOO_LARGE',
    'MALFORMED_JSON',
    ...(Object.keys(content).length > 0 ? (['UNSUPPORTED_MEDIA_TYPE'] as const) : []),
    ...(form ? (['BAD_REQUEST'] as const) : []),
    ...(route.path.includes('{') ? (['NOT_FOUND'] as const) : []),
  ];
}

/**
 * Replaces the codes {@link errorResponses} left in each route of `registry` with problem
 * responses grouped by status (`401: UNAUTHORIZED`, `403: FORBIDDEN | ORIGIN_NOT_ALLOWED` …),
 * adding those every route may answer before its handler runs. An unknown code fails here,
 * loudly: its module is not part of the app.
 */
export function documentErrorResponses(registry: OpenAPIHono['openAPIRegistry']) {
  for (const definition of registry.definitions) {
    if (definition.type !== 'route') continue;
    const responses = definition.route.responses as Record<string | symbol, unknown>;
    const keys = Object.getOwnPropertySymbols(responses).filter((key) => errorCodeKeys.has(key));
    if (keys.length === 0) continue;
    const codes = keys.flatMap((key) => errorCodeKeys.get(key) ?? []);
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of new Set<ErrorCode>([
      ...codes,
      ...globalErrors(definition.route),
      'VALIDATION_ERROR',
      'INTERNAL_ERROR',
      'DATABASE_UNAVAILABLE',
    ])) {
      const { status } = errorSpec(code);
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, group] of byStatus) {
      responses[status] = { description: group.join(' | '), content: PROBLEM_CONTENT };
    }
    for (const key of keys) delete responses[key];
  }
}

/** A JSON response or request body entry for `createRoute`. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body for `createRoute`. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

/**
 * A handler typed by its route contract: validated input in, declared responses out, and the
 * variables its guards set (`c.var.user` on {@link authedRoute}s).
 */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv & RouteConfigToEnv<R>>;

/** `security` of an authenticated route: any one of the schemes the docs declare. */
const AUTHENTICATED: { [scheme: string]: string[] }[] = [
  { OAuth2PasswordBearer: [] },
  { BearerAuth: [] },
  { CookieAuth: [] },
];

const SAFE_METHODS = new Set(['get', 'head', 'options']);

/** A route contract for {@link authedRoute} and {@link superuserRoute}. */
export interface GuardedRouteConfig extends Omit<RouteConfig, 'security' | 'middleware'> {
  /** The codes the handler itself may answer with; the guards' codes are added for you. */
  errors?: readonly ErrorCode[];
  /** `[resource, action]` the user's roles must grant (`requirePermission`); superusers pass. */
  permission?: readonly [resource: string, action: string];
  /** A role the user must hold (`requireRole`); superusers pass. */
  role?: string;
  /** Middleware to run after the guards, with the user known (e.g. `idempotency()`). */
  use?: readonly MiddlewareHandler<AuthedEnv>[];
}

/**
 * The codes a guarded route answers before its handler runs: the default rate limit, a missing
 * or dead token, a missing permission or role, and on unsafe methods a cookie without an
 * allowed `Origin` (CSRF).
 */
function guardErrors(method: string, forbids: boolean): ErrorCode[] {
  return [
    'RATE_LIMITED',
    'UNAUTHORIZED',
    ...(forbids ? (['FORBIDDEN'] as const) : []),
    ...(SAFE_METHODS.has(method) ? [] : (['ORIGIN_NOT_ALLOWED'] as const)),
  ];
}

/** The authorization a route needs, in words (for its description) and as its guards. */
function authorization(config: GuardedRouteConfig, superuser: boolean) {
  const { permission, role } = config;
  const needs = [
    ...(superuser ? ['a superuser'] : []),
    ...(permission ? [`permission \`${permission.join(':')}\``] : []),
    ...(role ? [`role \`${role}\``] : []),
  ];
  const middleware: MiddlewareHandler<AuthedEnv>[] = [
    ...(superuser ? [requireSuperuser()] : []),
    ...(permission ? [requirePermission(...permission)] : []),
    ...(role ? [requireRole(role)] : []),
  ];
  return {
    middleware,
    extensions: {
      ...(permission && { 'x-permission': permission.join(':') }),
      ...(role && { 'x-role': role }),
    },
    note:
      needs.length === 0 || superuser
        ? undefined
        : `Requires ${needs.join(' and ')} (superusers always pass); others get 403.`,
  };
}

function guarded<P extends string, R extends GuardedRouteConfig & { path: P }>(
  config: R,
  superuser: boolean,
) {
  const { errors = [], permission: _permission, role: _role, use = [], ...route } = config;
  const { middleware, extensions, note } = authorization(config, superuser);
  const description = [route.description, note].filter(Boolean).join('\n\n') || undefined;
  // Typed as authenticate() alone: the guards and `use` after it set nothing handlers read.
  const chain = [authenticate(), ...middleware, ...use] as [MiddlewareHandler<AuthedEnv>];
  return createRoute({
    ...route,
    ...extensions,
    ...(description && { description }),
    security: AUTHENTICATED,
    middleware: chain,
    responses: {
      ...route.responses,
      ...errorResponses(...guardErrors(route.method, middleware.length > 0), ...errors),
    },
  });
}

/**
 * A route for signed-in users: it gets the security schemes, the `authenticate()` middleware
 * (so handlers read `c.var.user` and `c.var.auth`, typed as present) and the error responses
 * that middleware can raise, so the documented errors cannot drift from the thrown ones.
 * With `permission` or `role` it also gets that guard, its 403, and the requirement in its
 * description and in `x-permission` / `x-role`.
 *
 * @example
 * export const getMe = authedRoute({
 *   method: 'get', path: '/users/me', tags, summary: 'The current user',
 *   responses: { 200: jsonContent(UserReadSchema, 'The current user') },
 * });
 * export const createPost = authedRoute({
 *   method: 'post', path: '/posts', tags, summary: 'Create a post', permission: ['posts', 'create'],
 *   request: { body: jsonBody(PostCreateSchema) },
 *   responses: { 201: jsonContent(PostSchema, 'The new post') },
 * });
 */
export function authedRoute<P extends string, R extends GuardedRouteConfig & { path: P }>(
  config: R,
) {
  return guarded(config, false);
}

/** Like {@link authedRoute}, for superusers only (others get 403 `FORBIDDEN`). */
export function superuserRoute<P extends string, R extends GuardedRouteConfig & { path: P }>(
  config: R,
) {
  return guarded(config, true);
}
