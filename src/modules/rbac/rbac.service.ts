import { and, count, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { AppError } from '../../lib/errors';
import type { RequestMeta } from '../../lib/request-meta';
import type { Database } from '../../platform/db/client';
import { casbinRule, users } from '../../platform/db/schema';
import type { Settings } from '../../settings';
import { auditInsert } from '../audit/audit.service';
import type { Preflight } from '../preflight';
import type { CachedUser } from '../users/users.service';
import {
  accessOf,
  bumpPolicyVersion,
  effectivePermissions,
  effectiveRoles,
  type PolicyDeps,
  ruleRow,
  USER_ROLES_TTL_SECONDS,
  userRolesKey,
  userRolesQuery,
  userSubject,
} from './rbac.policy';
import type { Permission, Role } from './rbac.schemas';

export type RbacDeps = PolicyDeps;

/** The role whose last holder cannot lose it, and which cannot be deleted. */
const ADMIN = 'admin';

const isPermission = (role: string) => and(eq(casbinRule.ptype, 'p'), eq(casbinRule.v0, role));
const isGrant = (userId: number, role: string) =>
  and(eq(casbinRule.ptype, 'g'), eq(casbinRule.v0, userSubject(userId)), eq(casbinRule.v1, role));

const userQuery = (db: Database, userId: number) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)));

const roleQuery = (db: Database, role: string) =>
  db
    .select({ resource: casbinRule.v1, action: casbinRule.v2 })
    .from(casbinRule)
    .where(isPermission(role));

function notFoundUser(userId: number): never {
  throw new AppError('NOT_FOUND', { detail: `User ${userId} does not exist` });
}

function notFoundRole(role: string): never {
  throw new AppError('NOT_FOUND', { detail: `Role ${role} does not exist` });
}

/**
 * Caches the user's roles as the database has them after a change: written, not deleted, so a
 * request that read the old roles before the change cannot cache them after it (readers only
 * fill an empty entry).
 */
async function rememberRoles(deps: RbacDeps, userId: number, roles: { role: string }[]) {
  try {
    await deps.redis.set(
      userRolesKey(userId),
      roles.map((row) => row.role),
      { ex: USER_ROLES_TTL_SECONDS },
    );
  } catch (error) {
    deps.logger.error('roles not cached after a change: other isolates may see the old ones', {
      user_id: userId,
      error: String(error),
    });
  }
}

/** Every role with its permissions, by name. */
export async function listRoles({ db }: Pick<RbacDeps, 'db'>): Promise<Role[]> {
  const rows = await db
    .select({ role: casbinRule.v0, resource: casbinRule.v1, action: casbinRule.v2 })
    .from(casbinRule)
    .where(eq(casbinRule.ptype, 'p'))
    .orderBy(casbinRule.v0, casbinRule.v1, casbinRule.v2);
  const roles = new Map<string, Permission[]>();
  for (const { role, resource, action } of rows) {
    roles.set(role, [...(roles.get(role) ?? []), { resource, action }]);
  }
  return [...roles].map(([name, permissions]) => ({ name, permissions }));
}

/** Creates a role with its permissions (a role exists while it has at least one). */
export async function createRole(
  deps: RbacDeps,
  actorId: number,
  input: Role,
  meta: RequestMeta,
): Promise<Role> {
  const { db } = deps;
  if ((await roleQuery(db, input.name).limit(1)).length > 0) {
    throw new AppError('RBAC_ROLE_EXISTS', { detail: `Role ${input.name} already exists` });
  }
  const rules = input.permissions.map((p) => ruleRow('p', [input.name, p.resource, p.action]));
  await db.batch([
    db.insert(casbinRule).values(rules).onConflictDoNothing(),
    auditInsert(db, meta, { event: 'role_created', actorId, details: { ...input } }),
  ]);
  await bumpPolicyVersion(deps);
  const unique = new Map(input.permissions.map((p) => [`${p.resource}:${p.action}`, p]));
  return { name: input.name, permissions: [...unique.values()] };
}

/** Deletes a role: its permissions, and every user's and role's grant of it. */
export async function deleteRole(deps: RbacDeps, actorId: number, role: string, meta: RequestMeta) {
  const { db } = deps;
  if (role === ADMIN) throw new AppError('RBAC_ROLE_PROTECTED');
  if ((await roleQuery(db, role).limit(1)).length === 0) notFoundRole(role);
  const [, holders] = await db.batch([
    db.delete(casbinRule).where(isPermission(role)),
    db
      .delete(casbinRule)
      .where(and(eq(casbinRule.ptype, 'g'), eq(casbinRule.v1, role)))
      .returning({ subject: casbinRule.v0 }),
    db.delete(casbinRule).where(and(eq(casbinRule.ptype, 'g'), eq(casbinRule.v0, role))),
    auditInsert(db, meta, { event: 'role_deleted', actorId, details: { role } }),
  ]);
  await bumpPolicyVersion(deps);
  // Former holders read their roles from the database again on their next request.
  const keys = holders.flatMap(({ subject }) =>
    subject.startsWith('user:') ? [userRolesKey(Number(subject.slice(5)))] : [],
  );
  if (keys.length > 0) await deps.redis.del(...keys).catch(() => undefined);
}

/** The user's direct roles; 404 for an unknown user. */
export async function userRoles({ db }: Pick<RbacDeps, 'db'>, userId: number): Promise<string[]> {
  const [user, roles] = await db.batch([userQuery(db, userId), userRolesQuery(db, userId)]);
  if (user.length === 0) notFoundUser(userId);
  return roles.map((row) => row.role);
}

/** Gives the user a role. Granting a role the user holds changes nothing (and records nothing). */
export async function grantRole(
  deps: RbacDeps,
  actorId: number,
  userId: number,
  role: string,
  meta: RequestMeta,
) {
  const { db } = deps;
  const [user, exists, held] = await db.batch([
    userQuery(db, userId),
    roleQuery(db, role).limit(1),
    db.select({ id: casbinRule.id }).from(casbinRule).where(isGrant(userId, role)),
  ]);
  if (user.length === 0) notFoundUser(userId);
  if (exists.length === 0) notFoundRole(role);
  if (held.length > 0) return;
  const [, , roles] = await db.batch([
    db
      .insert(casbinRule)
      .values(ruleRow('g', [userSubject(userId), role]))
      .onConflictDoNothing(),
    auditInsert(db, meta, { event: 'role_granted', userId, actorId, details: { role } }),
    userRolesQuery(db, userId),
  ]);
  await rememberRoles(deps, userId, roles);
}

/**
 * Active, undeleted users holding the admin role, locked until the change commits: two admins
 * removed at once cannot both see the other one still there.
 */
const adminCount = sql`(SELECT count(*) FROM (
  SELECT c.id FROM ${casbinRule} c JOIN ${users} u ON c.v0 = 'user:' || u.id
  WHERE c.ptype = 'g' AND c.v1 = ${ADMIN} AND u.deleted_at IS NULL AND u.is_active
  FOR UPDATE OF c) AS admins)`;

/**
 * Takes a role from the user. Taking one the user does not hold changes nothing; taking the
 * admin role from the last admin is refused.
 */
export async function revokeRole(
  deps: RbacDeps,
  actorId: number,
  userId: number,
  role: string,
  meta: RequestMeta,
) {
  const { db } = deps;
  const [user, held, [admins]] = await db.batch([
    userQuery(db, userId),
    db.select({ id: casbinRule.id }).from(casbinRule).where(isGrant(userId, role)),
    db
      .select({ count: count() })
      .from(casbinRule)
      .innerJoin(users, sql`${casbinRule.v0} = 'user:' || ${users.id}`)
      .where(
        and(
          eq(casbinRule.ptype, 'g'),
          eq(casbinRule.v1, ADMIN),
          isNull(users.deletedAt),
          eq(users.isActive, true),
        ),
      ),
  ]);
  if (user.length === 0) notFoundUser(userId);
  if (held.length === 0) return;
  const lastAdmin = () =>
    new AppError('RBAC_LAST_ADMIN', { detail: `User ${userId} is the last admin` });
  if (role === ADMIN && (admins?.count ?? 0) <= 1) throw lastAdmin();
  // The delete checks again, locked, for a concurrent change between the two round trips.
  const [removed, , roles] = await db.batch([
    db
      .delete(casbinRule)
      .where(and(isGrant(userId, role), role === ADMIN ? sql`${adminCount} > 1` : undefined))
      .returning({ id: casbinRule.id }),
    auditInsert(db, meta, { event: 'role_revoked', userId, actorId, details: { role } }),
    userRolesQuery(db, userId),
  ]);
  if (removed.length === 0) {
    if (role === ADMIN) throw lastAdmin();
    return;
  }
  await rememberRoles(deps, userId, roles);
}

/** Adds a permission to a role; adding one it has changes nothing. */
export async function grantPermission(
  deps: RbacDeps,
  actorId: number,
  role: string,
  permission: Permission,
  meta: RequestMeta,
) {
  const { db } = deps;
  const current = await roleQuery(db, role);
  if (current.length === 0) notFoundRole(role);
  if (current.some((p) => p.resource === permission.resource && p.action === permission.action)) {
    return;
  }
  await db.batch([
    db
      .insert(casbinRule)
      .values(ruleRow('p', [role, permission.resource, permission.action]))
      .onConflictDoNothing(),
    auditInsert(db, meta, {
      event: 'permission_granted',
      actorId,
      details: { role, ...permission },
    }),
  ]);
  await bumpPolicyVersion(deps);
}

/** Removes a permission from a role; its last one is refused (delete the role instead). */
export async function revokePermission(
  deps: RbacDeps,
  actorId: number,
  role: string,
  permission: Permission,
  meta: RequestMeta,
) {
  const { db } = deps;
  const current = await roleQuery(db, role);
  if (current.length === 0) notFoundRole(role);
  if (!current.some((p) => p.resource === permission.resource && p.action === permission.action)) {
    return;
  }
  if (current.length === 1) throw new AppError('RBAC_ROLE_LAST_PERMISSION');
  await db.batch([
    db
      .delete(casbinRule)
      .where(
        and(
          isPermission(role),
          eq(casbinRule.v1, permission.resource),
          eq(casbinRule.v2, permission.action),
        ),
      ),
    auditInsert(db, meta, {
      event: 'permission_revoked',
      actorId,
      details: { role, ...permission },
    }),
  ]);
  await bumpPolicyVersion(deps);
}

/** The user's roles (with those they nest) and every permission they grant. */
export async function myAccess(
  deps: RbacDeps,
  user: Pick<CachedUser, 'id' | 'is_superuser'>,
  preflight: Preflight | undefined,
) {
  const access = await accessOf(deps, user.id, preflight);
  const permissions = await effectivePermissions(access);
  return {
    roles: await effectiveRoles(access),
    permissions: permissions.map(([resource, action]) => ({ resource, action })),
    is_superuser: user.is_superuser,
  };
}

/**
 * `DEFAULT_ROLE` for every user of `from` (rows with an `id`), as a statement to put in a
 * `WITH` of raw SQL, so an account is never created without its role.
 */
export function defaultRoleFrom(settings: Pick<Settings, 'DEFAULT_ROLE'>, from: SQL): SQL {
  return sql`INSERT INTO ${casbinRule} (ptype, v0, v1)
    SELECT 'g', 'user:' || id, ${settings.DEFAULT_ROLE}::text FROM ${from}
    ON CONFLICT DO NOTHING`;
}

/**
 * The statement giving a newly registered user `DEFAULT_ROLE`, for the registration's batch:
 * it finds the user through the identity just drawn in the same transaction, so it grants
 * nothing when the insert before it met an existing e-mail.
 */
export function defaultRoleInsert(db: Database, settings: Pick<Settings, 'DEFAULT_ROLE'>) {
  return db.execute(
    defaultRoleFrom(
      settings,
      sql`${users} WHERE id = currval(pg_get_serial_sequence('users', 'id'))`,
    ),
  );
}
