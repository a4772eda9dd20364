import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AuthedEnv } from '../context';
import { AppError } from '../lib/errors';
import { type Access, accessOf, allows, effectiveRoles } from '../modules/rbac/rbac.policy';

function access(c: Context<AuthedEnv>): Promise<Access> {
  return accessOf(c.var, c.get('user').id, c.get('preflight'));
}

/**
 * After {@link authenticate}: only users one of whose roles grants `action` on `resource` pass
 * (superusers always do); others get 403 `FORBIDDEN` naming the permission. With the policy
 * unchanged and the user's roles cached this costs no I/O: both came with authentication's
 * Redis round trip. Declare it with `permission` on a route helper rather than by hand.
 *
 * @example
 * authedRoute({ method: 'post', path: '/posts', permission: ['posts', 'create'], … })
 */
export function requirePermission(resource: string, action: string) {
  return createMiddleware<AuthedEnv>(async function requirePermission(c, next) {
    if (!c.get('user').is_superuser && !(await allows(await access(c), resource, action))) {
      throw new AppError('FORBIDDEN', { detail: `Missing permission ${resource}:${action}` });
    }
    await next();
  });
}

/**
 * After {@link authenticate}: only users holding `role` (directly or through a role that nests
 * it) pass, and superusers; others get 403 `FORBIDDEN` naming the role.
 *
 * @example
 * authedRoute({ method: 'delete', path: '/posts/{id}', role: 'admin', … })
 */
export function requireRole(role: string) {
  return createMiddleware<AuthedEnv>(async function requireRole(c, next) {
    if (!c.get('user').is_superuser && !(await effectiveRoles(await access(c))).includes(role)) {
      throw new AppError('FORBIDDEN', { detail: `Missing role ${role}` });
    }
    await next();
  });
}
