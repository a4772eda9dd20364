import { createRoute, z } from '@hono/zod-openapi';
import { AUTHENTICATED, errorResponses, jsonBody, jsonContent } from '../../lib/openapi';
import { PageQuerySchema } from '../../lib/pagination';
import { authenticate, requireSuperuser } from '../../middleware/authenticate';
import {
  AdminUserUpdateSchema,
  SessionIdParamSchema,
  SessionReadSchema,
  UserIdParamSchema,
  UserPageSchema,
  UserReadSchema,
  UserUpdateSchema,
} from './users.schemas';

const tags = ['users'];
const security = AUTHENTICATED;
const signedIn = [authenticate()];
const superuser = [authenticate(), requireSuperuser()];
/** What every superuser route may answer before its handler runs. */
const SUPERUSER_ERRORS = ['RATE_LIMITED', 'UNAUTHORIZED', 'FORBIDDEN'] as const;

export const getMe = createRoute({
  method: 'get',
  path: '/users/me',
  tags,
  summary: 'The current user',
  security,
  middleware: signedIn,
  responses: {
    200: jsonContent(UserReadSchema, 'The current user'),
    ...errorResponses('RATE_LIMITED', 'UNAUTHORIZED'),
  },
});

export const patchMe = createRoute({
  method: 'patch',
  path: '/users/me',
  tags,
  summary: 'Update the current user',
  description:
    'A new e-mail or password needs `current_password`. A new e-mail takes effect once the link sent to it is followed (the old address is told); a new password ends every session. ' +
    'An empty or unchanged body answers the user as it is. ' +
    '`is_superuser`, `is_active` and `is_verified` are refused with 422.',
  security,
  middleware: signedIn,
  request: { body: jsonBody(UserUpdateSchema) },
  responses: {
    200: jsonContent(UserReadSchema, 'The updated user'),
    ...errorResponses(
      'RATE_LIMITED',
      'UNAUTHORIZED',
      'ORIGIN_NOT_ALLOWED',
      'UPDATE_USER_EMAIL_ALREADY_EXISTS',
      'UPDATE_USER_BAD_CURRENT_PASSWORD',
      'SERVICE_UNAVAILABLE',
    ),
  },
});

export const listMySessions = createRoute({
  method: 'get',
  path: '/users/me/sessions',
  tags,
  summary: 'My signed-in sessions',
  security,
  middleware: signedIn,
  responses: {
    200: jsonContent(z.array(SessionReadSchema), 'Live sessions, newest first'),
    ...errorResponses('RATE_LIMITED', 'UNAUTHORIZED'),
  },
});

export const deleteMySession = createRoute({
  method: 'delete',
  path: '/users/me/sessions/{id}',
  tags,
  summary: 'End one of my sessions',
  security,
  middleware: signedIn,
  request: { params: SessionIdParamSchema },
  responses: {
    204: { description: 'Session ended' },
    ...errorResponses('RATE_LIMITED', 'UNAUTHORIZED', 'ORIGIN_NOT_ALLOWED', 'NOT_FOUND'),
  },
});

export const listUsers = createRoute({
  method: 'get',
  path: '/users',
  tags,
  summary: 'List users (superuser)',
  security,
  middleware: superuser,
  request: {
    query: PageQuerySchema.extend({
      search: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .optional()
        .openapi({ description: 'Matches e-mail, first or last name' }),
    }),
  },
  responses: {
    200: jsonContent(UserPageSchema, 'A page of users'),
    ...errorResponses(...SUPERUSER_ERRORS),
  },
});

export const getUser = createRoute({
  method: 'get',
  path: '/users/{id}',
  tags,
  summary: 'Get a user (superuser)',
  security,
  middleware: superuser,
  request: { params: UserIdParamSchema },
  responses: {
    200: jsonContent(UserReadSchema, 'The user'),
    ...errorResponses(...SUPERUSER_ERRORS, 'NOT_FOUND'),
  },
});

export const patchUser = createRoute({
  method: 'patch',
  path: '/users/{id}',
  tags,
  summary: 'Update a user (superuser)',
  description:
    'Deactivating a user or setting their password ends all their sessions; changing `is_superuser` or `is_active` also retires their access tokens (they log in again).',
  security,
  middleware: superuser,
  request: { params: UserIdParamSchema, body: jsonBody(AdminUserUpdateSchema) },
  responses: {
    200: jsonContent(UserReadSchema, 'The updated user'),
    ...errorResponses(
      ...SUPERUSER_ERRORS,
      'ORIGIN_NOT_ALLOWED',
      'NOT_FOUND',
      'UPDATE_USER_EMAIL_ALREADY_EXISTS',
    ),
  },
});

export const deleteUser = createRoute({
  method: 'delete',
  path: '/users/{id}',
  tags,
  summary: 'Delete a user (superuser, soft delete)',
  description:
    'The user can no longer log in and their tokens stop working; the row is purged after retention.',
  security,
  middleware: superuser,
  request: { params: UserIdParamSchema },
  responses: {
    204: { description: 'Deleted' },
    ...errorResponses(...SUPERUSER_ERRORS, 'ORIGIN_NOT_ALLOWED', 'NOT_FOUND'),
  },
});
