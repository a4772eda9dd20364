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
import {
  AppError,
  type ErrorCode,
  errorSpec,
  type FieldError,
  MAX_DETAIL_LENGTH,
  MAX_FIELD_ERRORS,
  MAX_URL_LENGTH,
  problemType,
} from './errors';
import { int32 } from './schema-fields';

/** What hono's `requestId()` accepts from a client (else it makes its own). */
const REQUEST_ID_PATTERN = '^[\\w\\-=]+$';

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
    type: z
      .string()
      .max(100)
      .openapi({ format: 'uri', example: problemType('NOT_FOUND') }),
    title: z
      .string()
      .max(100)
      .openapi({ example: errorSpec('NOT_FOUND').title }),
    status: int32(400, 599).openapi({ example: 404 }),
    detail: z.string().max(MAX_DETAIL_LENGTH),
    instance: z.string().max(MAX_URL_LENGTH).openapi({ example: '/api/v1/items/42' }),
    code: z.string().max(100).openapi({ pattern: '^[A-Z][A-Z0-9_]*$', example: 'NOT_FOUND' }),
    request_id: z.string().max(255).openapi({ pattern: REQUEST_ID_PATTERN }),
    errors: z
      .array(
        z.object({
          path: z.string().max(MAX_DETAIL_LENGTH),
          message: z.string().max(MAX_DETAIL_LENGTH),
          code: z.string().max(100),
        }),
      )
      .max(MAX_FIELD_ERRORS)
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
 * ({@link documentResponses}), once every module has declared its codes, so a route may
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

/** What the app's global middleware adds to a route's answers, for {@link documentResponses}. */
export interface GlobalAnswers {
  /** Whether the route at `path` (a pattern like `/api/v1/items/{id}`) is rate limited. */
  rateLimited: (path: string) => boolean;
}

const header = (description: string, schema: Record<string, unknown>) => ({ description, schema });
const SECONDS = { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 };

/** The response headers the document declares, as `components.headers`. */
const RESPONSE_HEADERS = {
  'X-Request-ID': header("The request id (the client's own `X-Request-ID` when it sent one)", {
    type: 'string',
    maxLength: 255,
    pattern: REQUEST_ID_PATTERN,
  }),
  'Access-Control-Allow-Origin': header(
    "The request's `Origin`, when it is one of `BACKEND_CORS_ORIGINS`; absent otherwise",
    { type: 'string', format: 'uri', maxLength: 2048 },
  ),
  'RateLimit-Limit': header(
    'Requests allowed in the window of the limit closest to its end',
    SECONDS,
  ),
  'RateLimit-Remaining': header('Requests left in that window', SECONDS),
  'RateLimit-Reset': header('Seconds until that window resets', SECONDS),
  'Retry-After': header('Seconds to wait before trying again', SECONDS),
} as const;

type HeaderName = keyof typeof RESPONSE_HEADERS;
const RATE_LIMIT_HEADERS: HeaderName[] = [
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
];

function headerRefs(names: HeaderName[]) {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

/** Codes every route may answer, whatever it declares. */
const ALWAYS: ErrorCode[] = ['VALIDATION_ERROR', 'INTERNAL_ERROR', 'DATABASE_UNAVAILABLE'];

/**
 * The codes the global middleware adds: the default rate limit's 429; on every route a client
 * can send a body to (any method but GET), whether or not it takes one, 413 (`bodyLimit`) and
 * 400 `MALFORMED_JSON` (`jsonBody` parses any JSON body, or the webhook reading its own); where
 * the body is validated by a zod schema, 415 for a media type the route does not declare, and
 * on form routes 400 `BAD_REQUEST` for a form that cannot be parsed; on routes with path
 * parameters, 404 `NOT_FOUND` for an empty one, which matches no route.
 */
function globalCodes(route: RouteConfig, rateLimited: boolean): ErrorCode[] {
  const content = route.request?.body?.content ?? {};
  const bodies = Object.values(content).map((media) =>
    media && 'schema' in media ? media.schema : media,
  );
  const forms = Object.keys(content).some((type) => type.includes('form'));
  return [
    ...(rateLimited ? (['RATE_LIMITED'] as const) : []),
    ...(route.method !== 'get' ? (['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE'] as const) : []),
    ...(bodies.some((schema) => schema instanceof z.ZodType)
      ? (['UNSUPPORTED_MEDIA_TYPE'] as const)
      : []),
    ...(forms ? (['BAD_REQUEST'] as const) : []),
    ...(route.path.includes('{') ? (['NOT_FOUND'] as const) : []),
  ];
}

interface DocumentedResponse {
  description: string;
  headers?: Record<string, unknown>;
  content?: unknown;
}

/**
 * Completes the responses of each route of `registry`: the codes {@link errorResponses} left,
 * those every route may answer and those of the global middleware ({@link globalCodes}) become
 * problem responses grouped by status (`401: UNAUTHORIZED`, `403: FORBIDDEN |
 * ORIGIN_NOT_ALLOWED` …), and every response declares the headers it carries: `X-Request-ID`,
 * `Access-Control-Allow-Origin`, `RateLimit-*` on rate-limited routes and `Retry-After` on 429
 * and 503. An unknown code fails here, loudly: its module is not part of the app. The app's
 * registry holds its own copy of each route (with the prefix in its path), so the modules'
 * contracts are left as they are: another app built from them is documented the same way.
 */
export function documentResponses(
  registry: OpenAPIHono['openAPIRegistry'],
  { rateLimited }: GlobalAnswers,
) {
  for (const [name, definition] of Object.entries(RESPONSE_HEADERS)) {
    registry.registerComponent('headers', name, definition);
  }
  for (const definition of registry.definitions) {
    if (definition.type !== 'route') continue;
    const { route } = definition;
    const limited = rateLimited(route.path);
    const declared = route.responses as Record<string | symbol, DocumentedResponse>;
    const codes = Object.getOwnPropertySymbols(declared).flatMap(
      (key) => errorCodeKeys.get(key) ?? [],
    );
    const responses: Record<string, DocumentedResponse> = { ...declared };
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of new Set([...codes, ...ALWAYS, ...globalCodes(route, limited)])) {
      const { status } = errorSpec(code);
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, group] of byStatus) {
      responses[status] = { description: group.join(' | '), content: PROBLEM_CONTENT };
    }
    route.responses = Object.fromEntries(
      Object.entries(responses).map(([status, response]) => {
        const retry: HeaderName[] = status === '429' || status === '503' ? ['Retry-After'] : [];
        const headers = {
          ...headerRefs(['X-Request-ID', 'Access-Control-Allow-Origin']),
          ...headerRefs(limited ? RATE_LIMIT_HEADERS : []),
          ...headerRefs(retry),
          ...response.headers,
        };
        return [status, { ...response, headers }];
      }),
    ) as RouteConfig['responses'];
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
  /** `<module>.<verb>` (`items.list`): generated clients name their method after it. */
  operationId: string;
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
 *   method: 'get', path: '/users/me', operationId: 'users.getMe', tags, summary: 'The current user',
 *   responses: { 200: jsonContent(UserReadSchema, 'The current user') },
 * });
 * export const createPost = authedRoute({
 *   method: 'post', path: '/posts', operationId: 'posts.create', tags, summary: 'Create a post',
 *   permission: ['posts', 'create'],
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
