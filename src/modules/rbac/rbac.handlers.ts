import type { AppRouteHandler } from '../../lib/openapi';
import { requestMeta } from '../../lib/request-meta';
import type * as routes from './rbac.routes';
import * as rbacService from './rbac.service';

export const getMyAccess: AppRouteHandler<typeof routes.getMyAccess> = async (c) =>
  c.json(await rbacService.myAccess(c.var, c.get('user'), c.get('preflight')), 200);

export const listRoles: AppRouteHandler<typeof routes.listRoles> = async (c) =>
  c.json(await rbacService.listRoles(c.var), 200);

export const createRole: AppRouteHandler<typeof routes.createRole> = async (c) => {
  const role = await rbacService.createRole(
    c.var,
    c.get('user').id,
    c.req.valid('json'),
    requestMeta(c),
  );
  return c.json(role, 201);
};

export const deleteRole: AppRouteHandler<typeof routes.deleteRole> = async (c) => {
  await rbacService.deleteRole(c.var, c.get('user').id, c.req.valid('param').role, requestMeta(c));
  return c.body(null, 204);
};

export const addRolePermission: AppRouteHandler<typeof routes.addRolePermission> = async (c) => {
  const { role, ...permission } = c.req.valid('param');
  await rbacService.grantPermission(c.var, c.get('user').id, role, permission, requestMeta(c));
  return c.body(null, 204);
};

export const removeRolePermission: AppRouteHandler<typeof routes.removeRolePermission> = async (
  c,
) => {
  const { role, ...permission } = c.req.valid('param');
  await rbacService.revokePermission(c.var, c.get('user').id, role, permission, requestMeta(c));
  return c.body(null, 204);
};

export const getUserRoles: AppRouteHandler<typeof routes.getUserRoles> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json({ user_id: id, roles: await rbacService.userRoles(c.var, id) }, 200);
};

export const addUserRole: AppRouteHandler<typeof routes.addUserRole> = async (c) => {
  const { id, role } = c.req.valid('param');
  await rbacService.grantRole(c.var, c.get('user').id, id, role, requestMeta(c));
  return c.body(null, 204);
};

export const removeUserRole: AppRouteHandler<typeof routes.removeUserRole> = async (c) => {
  const { id, role } = c.req.valid('param');
  await rbacService.revokeRole(c.var, c.get('user').id, id, role, requestMeta(c));
  return c.body(null, 204);
};
