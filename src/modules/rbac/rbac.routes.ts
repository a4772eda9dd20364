import { z } from '@hono/zod-openapi';
import { authedRoute, jsonBody, jsonContent } from '../../lib/openapi';
import { IdParamSchema } from '../../lib/pagination';
import {
  MyAccessSchema,
  RoleCreateSchema,
  RoleParamSchema,
  RolePermissionParamSchema,
  RoleSchema,
  UserRoleParamSchema,
  UserRolesSchema,
} from './rbac.schemas';

const tags = ['rbac'];
const permission = ['rbac', 'manage'] as const;

export const getMyAccess = authedRoute({
  method: 'get',
  path: '/rbac/me',
  operationId: 'rbac.getMyAccess',
  tags,
  summary: 'My roles and effective permissions',
  responses: {
    200: jsonContent(MyAccessSchema, 'My roles and what they grant'),
  },
});

export const listRoles = authedRoute({
  method: 'get',
  path: '/rbac/roles',
  operationId: 'rbac.listRoles',
  tags,
  summary: 'List roles with their permissions',
  permission,
  responses: {
    200: jsonContent(z.array(RoleSchema), 'Every role, by name'),
  },
});

export const createRole = authedRoute({
  method: 'post',
  path: '/rbac/roles',
  operationId: 'rbac.createRole',
  tags,
  summary: 'Create a role',
  description: 'A role exists while it has at least one permission.',
  permission,
  request: { body: jsonBody(RoleCreateSchema) },
  errors: ['RBAC_ROLE_EXISTS'],
  responses: {
    201: jsonContent(RoleSchema, 'The new role'),
  },
});

export const deleteRole = authedRoute({
  method: 'delete',
  path: '/rbac/roles/{role}',
  operationId: 'rbac.deleteRole',
  tags,
  summary: 'Delete a role',
  description: 'Its holders lose it. The `admin` role cannot be deleted.',
  permission,
  request: { params: RoleParamSchema },
  errors: ['NOT_FOUND', 'RBAC_ROLE_PROTECTED'],
  responses: {
    204: { description: 'Deleted' },
  },
});

export const addRolePermission = authedRoute({
  method: 'put',
  path: '/rbac/roles/{role}/permissions/{resource}/{action}',
  operationId: 'rbac.grantPermission',
  tags,
  summary: 'Add a permission to a role',
  description: 'Adding a permission the role has changes nothing.',
  permission,
  request: { params: RolePermissionParamSchema },
  errors: ['NOT_FOUND'],
  responses: {
    204: { description: 'The role has the permission' },
  },
});

export const removeRolePermission = authedRoute({
  method: 'delete',
  path: '/rbac/roles/{role}/permissions/{resource}/{action}',
  operationId: 'rbac.revokePermission',
  tags,
  summary: 'Remove a permission from a role',
  description: 'Removing one the role lacks changes nothing; its last one is refused.',
  permission,
  request: { params: RolePermissionParamSchema },
  errors: ['NOT_FOUND', 'RBAC_ROLE_LAST_PERMISSION'],
  responses: {
    204: { description: 'The role lacks the permission' },
  },
});

export const getUserRoles = authedRoute({
  method: 'get',
  path: '/rbac/users/{id}/roles',
  operationId: 'rbac.listUserRoles',
  tags,
  summary: "A user's roles",
  permission,
  request: { params: IdParamSchema },
  errors: ['NOT_FOUND'],
  responses: {
    200: jsonContent(UserRolesSchema, "The user's direct roles"),
  },
});

export const addUserRole = authedRoute({
  method: 'put',
  path: '/rbac/users/{id}/roles/{role}',
  operationId: 'rbac.assignRole',
  tags,
  summary: 'Give a user a role',
  description: 'Giving a role the user holds changes nothing.',
  permission,
  request: { params: UserRoleParamSchema },
  errors: ['NOT_FOUND'],
  responses: {
    204: { description: 'The user holds the role' },
  },
});

export const removeUserRole = authedRoute({
  method: 'delete',
  path: '/rbac/users/{id}/roles/{role}',
  operationId: 'rbac.unassignRole',
  tags,
  summary: 'Take a role from a user',
  description:
    'Taking a role the user lacks changes nothing. The last active user holding `admin` keeps it.',
  permission,
  request: { params: UserRoleParamSchema },
  errors: ['NOT_FOUND', 'RBAC_LAST_ADMIN'],
  responses: {
    204: { description: 'The user lacks the role' },
  },
});
