import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** What an error code means to clients: its HTTP status and a short, stable title. */
export interface ErrorSpec {
  status: ContentfulStatusCode;
  title: string;
}

/**
 * The codes every module may answer with. A module declares its own codes with
 * {@link defineErrors} in its `<module>.errors.ts`, which also adds them to this interface, so
 * `new AppError('LOGIN_BAD_CREDENTIALS')` type-checks wherever the auth module is part of the app.
 */
const CORE_ERRORS = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON in request body' },
  UNAUTHORIZED: { status: 401, title: 'Not authenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  ORIGIN_NOT_ALLOWED: { status: 403, title: 'Cross-site request refused' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  IDEMPOTENCY_KEY_IN_PROGRESS: {
    status: 409,
    title: 'A request with this Idempotency-Key is still in progress',
  },
  PRECONDITION_FAILED: { status: 412, title: 'The resource changed (If-Match)' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VALIDATION_ERROR: { status: 422, title: 'Validation failed' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'This Idempotency-Key was used with another request',
  },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, ErrorSpec>;

type CoreErrors = typeof CORE_ERRORS;

/**
 * Every error code of the app, with its spec: the core codes above, plus each module's, merged
 * in by declaration (`declare module '…/lib/errors' { interface ErrorCatalogue extends … }`).
 *
 * @public
 */
export interface ErrorCatalogue extends CoreErrors {}

export type ErrorCode = keyof ErrorCatalogue & string;

const catalogue = new Map<string, ErrorSpec>(Object.entries(CORE_ERRORS));

/**
 * Declares a module's error codes (UPPER_SNAKE, with status and title) and adds them to the one
 * catalogue that renders problem+json and the OpenAPI error responses. A code may be declared
 * once; declaring it again with another meaning is a startup error.
 *
 * @example
 * export const authErrors = defineErrors({
 *   LOGIN_BAD_CREDENTIALS: { status: 400, title: 'Wrong e-mail or password' },
 * });
 * declare module '../../lib/errors' {
 *   interface ErrorCatalogue extends Codes<typeof authErrors> {}
 * }
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(errors: T): T {
  for (const [code, spec] of Object.entries(errors)) {
    const known = catalogue.get(code);
    if (known && (known.status !== spec.status || known.title !== spec.title)) {
      throw new TypeError(`Error code ${code} is declared twice with different meanings`);
    }
    catalogue.set(code, spec);
  }
  return errors;
}

/** The catalogue entries of a {@link defineErrors} result, for the declaration merge. */
export type Codes<T extends Record<string, ErrorSpec>> = { [K in keyof T]: T[K] };

/**
 * The status and title of `code`. Unknown codes fail loudly: the module that declares the code
 * is not imported yet (its `<module>.errors.ts` must load before routes that name its codes).
 */
export function errorSpec(code: ErrorCode): ErrorSpec {
  const spec = catalogue.get(code);
  if (!spec) throw new TypeError(`Unknown error code ${code}: is its module's errors file loaded?`);
  return spec;
}

/** One validation failure: where (`body.email`, `query.limit`), what, and zod's issue code. */
export interface FieldError {
  path: string;
  message: string;
  code: string;
}

export interface AppErrorOptions {
  /** Human-readable explanation specific to this occurrence. */
  detail?: string;
  errors?: FieldError[];
  /** Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** Extension members of the problem document (RFC 9457 §3.2), e.g. `checks`. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error handlers throw; `app.onError` renders it as `application/problem+json`.
 *
 * @example
 * throw new AppError('NOT_FOUND', { detail: 'Item 42 does not exist' });
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const { status, title } = errorSpec(code);
    // A 4xx is an answer, not a fault: nobody reads its stack, and capturing one through the
    // middleware chain is a measurable share of the CPU of a 404, 401 or 429.
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(options.detail ?? title, { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = status;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }
}

/** RFC 9457 problem details, with the request id and the stable code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  request_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** `urn:stratus:problem:not-found` for `NOT_FOUND`: stable, and needs no documentation host. */
export function problemType(code: ErrorCode): string {
  return `urn:stratus:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** The longest `detail` (and `errors[].path` / `message`) a problem carries; longer ones are cut. */
export const MAX_DETAIL_LENGTH = 2000;
/** The most `errors[]` entries a problem lists. */
export const MAX_FIELD_ERRORS = 100;
/** The longest `instance` (the request path): Cloudflare refuses longer URLs anyway. */
export const MAX_URL_LENGTH = 16_384;

const cut = (text: string, length = MAX_DETAIL_LENGTH) => text.slice(0, length);

/** The problem document of `error`, within the bounds the OpenAPI document declares. */
export function toProblem(error: AppError, instance: string, requestId: string): Problem {
  const { title } = errorSpec(error.code);
  return {
    ...error.extensions,
    type: problemType(error.code),
    title,
    status: error.status,
    detail: cut(error.detail ?? title),
    instance: cut(instance, MAX_URL_LENGTH),
    code: error.code,
    request_id: requestId,
    ...(error.errors && {
      errors: error.errors.slice(0, MAX_FIELD_ERRORS).map((entry) => ({
        ...entry,
        path: cut(entry.path),
        message: cut(entry.message),
      })),
    }),
  };
}

/** Renders an {@link AppError} as `application/problem+json`, keeping headers set earlier. */
export function problemResponse(c: Context, error: AppError): Response {
  const requestId: string = c.get('requestId') ?? '';
  const body = toProblem(error, c.req.path, requestId);
  return c.body(JSON.stringify(body), error.status, {
    'Content-Type': 'application/problem+json',
    ...error.headers,
  });
}
