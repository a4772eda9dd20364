import { z } from '@hono/zod-openapi';
import { authedRoute, jsonBody, jsonContent, superuserRoute } from '../../lib/openapi';
import { IdParamSchema, PageQuerySchema } from '../../lib/pagination';
import {
  AdminUserUpdateSchema,
  SessionIdParamSchema,
  SessionReadSchema,
  UserPageSchema,
  UserReadSchema,
  UserUpdateSchema,
} from './users.schemas';

const tags = ['users'];

export const getMe = authedRoute({
  method: 'get',
  path: '/users/me',
  operationId: 'users.getMe',
  tags,
  summary: 'The current user',
  responses: {
    200: jsonContent(UserReadSchema, 'The current user'),
  },
});

export const patchMe = authedRoute({
  method: 'patch',
  path: '/users/me',
  operationId: 'users.updateMe',
  tags,
  summary: 'Update the current user',
  description:
    'A new e-mail or password needs `current_password`. A new e-mail takes effect once the link sent to it is followed (the old address is told); a new password ends every session. ' +
    'An empty or unchanged body answers the user as it is. ' +
    '`is_superuser`, `is_active` and `is_verified` are refused with 422.',
  request: { body: jsonBody(UserUpdateSchema) },
  errors: [
    'UPDATE_USER_EMAIL_ALREADY_EXISTS',
    'UPDATE_USER_BAD_CURRENT_PASSWORD',
    'SERVICE_UNAVAILABLE',
  ],
  responses: {
    200: jsonContent(UserReadSchema, 'The updated user'),
  },
});

export const listMySessions = authedRoute({
  method: 'get',
  path: '/users/me/sessions',
  operationId: 'users.listMySessions',
  tags,
  summary: 'My signed-in sessions',
  responses: {
    200: jsonContent(z.array(SessionReadSchema), 'Live sessions, newest first'),
  },
});

export const deleteMySession = authedRoute({
  method: 'delete',
  path: '/users/me/sessions/{id}',
  operationId: 'users.revokeMySession',
  tags,
  summary: 'End one of my sessions',
  request: { params: SessionIdParamSchema },
  errors: ['NOT_FOUND'],
  responses: {
    204: { description: 'Session ended' },
  },
});

export const listUsers = superuserRoute({
  method: 'get',
  path: '/users',
  operationId: 'users.list',
  tags,
  summary: 'List users (superuser)',
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
  },
});

export const getUser = superuserRoute({
  method: 'get',
  path: '/users/{id}',
  operationId: 'users.get',
  tags,
  summary: 'Get a user (superuser)',
  request: { params: IdParamSchema },
  errors: ['NOT_FOUND'],
  responses: {
    200: jsonContent(UserReadSchema, 'The user'),
  },
});

export const patchUser = superuserRoute({
  method: 'patch',
  path: '/users/{id}',
  operationId: 'users.update',
  tags,
  summary: 'Update a user (superuser)',
  description:
    'Deactivating a user or setting their password ends all their sessions; changing `is_superuser` or `is_active` also retires their access tokens (they log in again).',
  request: { params: IdParamSchema, body: jsonBody(AdminUserUpdateSchema) },
  errors: ['NOT_FOUND', 'UPDATE_USER_EMAIL_ALREADY_EXISTS'],
  responses: {
    200: jsonContent(UserReadSchema, 'The updated user'),
  },
});

export const deleteUser = superuserRoute({
  method: 'delete',
  path: '/users/{id}',
  operationId: 'users.delete',
  tags,
  summary: 'Delete a user (superuser, soft delete)',
  description:
    'The user can no longer log in and their tokens stop working; the row is purged after retention.',
  request: { params: IdParamSchema },
  errors: ['NOT_FOUND'],
  responses: {
    204: { description: 'Deleted' },
  },
});
