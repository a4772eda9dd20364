import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every error the API answers with, declared once: a stable UPPER_SNAKE code, its HTTP status
 * and a short title. Auth codes follow FastAPI-Users so clients written against the seed work.
 */
export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON in request body' },
  UNAUTHORIZED: { status: 401, title: 'Not authenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VALIDATION_ERROR: { status: 422, title: 'Validation failed' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  // Jobs: QStash deliveries to POST /jobs/{task}.
  JOB_SIGNATURE_INVALID: { status: 401, title: 'Missing or invalid QStash signature' },
  JOB_IN_PROGRESS: { status: 409, title: 'Another delivery of this message is running' },
  // Identity, with FastAPI-Users' codes where it has one.
  REGISTER_USER_ALREADY_EXISTS: { status: 400, title: 'A user with this e-mail already exists' },
  LOGIN_BAD_CREDENTIALS: { status: 400, title: 'Wrong e-mail or password' },
  LOGIN_USER_NOT_VERIFIED: { status: 400, title: 'The e-mail address is not verified yet' },
  VERIFY_USER_BAD_TOKEN: { status: 400, title: 'Invalid or expired verification token' },
  RESET_PASSWORD_BAD_TOKEN: { status: 400, title: 'Invalid or expired reset token' },
  UPDATE_USER_EMAIL_ALREADY_EXISTS: {
    status: 400,
    title: 'A user with this e-mail already exists',
  },
  UPDATE_USER_BAD_CURRENT_PASSWORD: { status: 400, title: 'The current password is wrong' },
  REFRESH_TOKEN_INVALID: { status: 401, title: 'Invalid, expired or reused refresh token' },
  ORIGIN_NOT_ALLOWED: { status: 403, title: 'Cross-site request refused' },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

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
    const { status, title } = ERROR_CATALOGUE[code];
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

export function toProblem(error: AppError, instance: string, requestId: string): Problem {
  const { title } = ERROR_CATALOGUE[error.code];
  return {
    ...error.extensions,
    type: problemType(error.code),
    title,
    status: error.status,
    detail: error.detail ?? title,
    instance,
    code: error.code,
    request_id: requestId,
    ...(error.errors && { errors: error.errors }),
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
