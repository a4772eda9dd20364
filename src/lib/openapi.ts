import { OpenAPIHono, type RouteConfig, type RouteHandler, z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppEnv } from '../env';
import { AppError, ERROR_CATALOGUE, type ErrorCode, type FieldError, problemType } from './errors';

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
    title: z.string().openapi({ example: ERROR_CATALOGUE.NOT_FOUND.title }),
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
 * The `responses` entries for the errors a route can answer with, grouped by status.
 * Every route also gets 422 (validation) and 500.
 *
 * @example
 * responses: { 200: jsonContent(UserSchema, 'The user'), ...errorResponses('UNAUTHORIZED', 'NOT_FOUND') }
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, 'VALIDATION_ERROR', 'INTERNAL_ERROR'])) {
    const { status } = ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      status,
      { description: group.join(' | '), content: PROBLEM_CONTENT },
    ]),
  );
}

/** A JSON response or request body entry for `createRoute`. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** `security` of an authenticated route: any one of the schemes the docs declare. */
export const AUTHENTICATED: { [scheme: string]: string[] }[] = [
  { OAuth2PasswordBearer: [] },
  { BearerAuth: [] },
  { CookieAuth: [] },
];

/** A required JSON request body for `createRoute`. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

/** A handler typed by its route contract: validated input in, declared responses out. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
