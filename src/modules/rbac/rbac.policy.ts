import {
  type BatchAdapter,
  type Enforcer,
  type Model,
  newEnforcer,
  newModelFromString,
} from 'casbin';
import { and, eq, or, sql } from 'drizzle-orm';
import type { Logger } from '../../lib/logger';
import { perSettings } from '../../lib/per-settings';
import type { Database } from '../../platform/db/client';
import { casbinRule } from '../../platform/db/schema';
import type { Redis } from '../../platform/redis';
import type { Settings } from '../../settings';
import type { AccessClaims } from '../auth/auth.tokens';
import type { Preflight } from '../preflight';

// The authorization policy. Subjects are users, written `user:<id>`, and roles, written by
// their plain names (`editor`); a role name has no colon, so the two never collide. Rules live
// in `casbin_rule`: `p, editor, posts, create` grants a permission, `g, user:7, editor` a role.
//
// Each isolate keeps the role policy (permissions and role nesting, a few dozen rows) in one
// Casbin enforcer. Users' own roles are not loaded into it: loading every `g, user:…` row makes
// building the enforcer grow with the user base (about 50 ms of CPU for 2,000 users, seconds for
// 20,000), and a new account would force every isolate to rebuild. A request reads its user's
// roles from Redis in the request's one round trip instead (the module's `preflight` keys; the
// database on a miss), and asks the enforcer about each role.

/** The RBAC model: a request is allowed when one of the subject's roles holds the permission. */
const MODEL = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`;

/** Bumped (INCR) by every change of the role policy; isolates rebuild when it moved. */
export const POLICY_VERSION_KEY = 'rbac:policy:version';

/** A user's roles, cached; rewritten by every change of the user's roles. */
export const userRolesKey = (userId: number) => `rbac:roles:${userId}`;

/** How long a user's roles stay cached; every change rewrites them at once. */
export const USER_ROLES_TTL_SECONDS = 300;

/** The Casbin subject of a user. */
export const userSubject = (userId: number) => `user:${userId}`;

/** What authorization reads in the request's one Redis round trip (the module's `preflight`). */
export const authzKeys = (claims: AccessClaims) => [
  POLICY_VERSION_KEY,
  userRolesKey(claims.userId),
];

/**
 * What the request's Redis round trip read for authorization: the policy version (null
 * before the first change) and the user's cached roles (null when not cached).
 */
interface AuthzSnapshot {
  policyVersion: string | null;
  roles: string[] | null;
}

/** The user's snapshot in `preflight`; undefined when it did not read this user's keys. */
function snapshotOf(
  preflight: Preflight | undefined,
  userId: number,
): AuthzSnapshot | 'redis-down' | undefined {
  if (preflight?.claims.userId !== userId) return undefined;
  const { reads } = preflight;
  if (!reads) return 'redis-down';
  const roles = userRolesKey(userId);
  if (!reads.has(POLICY_VERSION_KEY) || !reads.has(roles)) return undefined;
  return {
    policyVersion: versionOf(reads.get(POLICY_VERSION_KEY)),
    roles: (reads.get(roles) as string[] | null) ?? null,
  };
}

/** The version as Redis returns it (the REST client parses `"3"` into `3`), as one type. */
const versionOf = (value: unknown): string | null => (value == null ? null : String(value));

export interface PolicyDeps {
  db: Database;
  redis: Redis;
  settings: Settings;
  logger: Logger;
}

type Row = typeof casbinRule.$inferInsert;

/** A `casbin_rule` row for a Casbin rule: missing fields are empty strings. */
export function ruleRow(ptype: string, rule: readonly string[]): Row {
  const [v0 = '', v1 = '', v2 = '', v3 = '', v4 = '', v5 = ''] = rule;
  return { ptype, v0, v1, v2, v3, v4, v5 };
}

function ruleOf(row: Pick<Row, 'v0' | 'v1' | 'v2' | 'v3' | 'v4' | 'v5'>): string[] {
  const rule = [row.v0, row.v1, row.v2, row.v3, row.v4, row.v5].map((value) => value ?? '');
  while (rule.length > 0 && rule.at(-1) === '') rule.pop();
  return rule;
}

function matches(ptype: string, rule: readonly string[]) {
  const row = ruleRow(ptype, rule);
  return and(
    eq(casbinRule.ptype, row.ptype),
    eq(casbinRule.v0, row.v0 ?? ''),
    eq(casbinRule.v1, row.v1 ?? ''),
    eq(casbinRule.v2, row.v2 ?? ''),
    eq(casbinRule.v3, row.v3 ?? ''),
    eq(casbinRule.v4, row.v4 ?? ''),
    eq(casbinRule.v5, row.v5 ?? ''),
  );
}

/** Every rule except users' own roles (`g, user:…`), which requests read per user. */
const rolePolicy = sql`NOT (${casbinRule.ptype} = 'g' AND ${casbinRule.v0} LIKE 'user:%')`;

const FIELDS = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'] as const;

/**
 * A Casbin adapter over `casbin_rule`. `loadPolicy` loads the role policy (every rule but the
 * users' `g, user:…` grants, see above); the writers store any rule, and a rule stored twice is
 * stored once.
 *
 * @example
 * const enforcer = await newEnforcer(newModelFromString(MODEL), createDrizzleAdapter(db));
 */
export function createDrizzleAdapter(db: Database): BatchAdapter {
  const insert = async (ptype: string, rules: string[][]) => {
    if (rules.length === 0) return;
    await db
      .insert(casbinRule)
      .values(rules.map((rule) => ruleRow(ptype, rule)))
      .onConflictDoNothing();
  };
  const remove = async (ptype: string, rules: string[][]) => {
    if (rules.length === 0) return;
    await db.delete(casbinRule).where(or(...rules.map((rule) => matches(ptype, rule))));
  };
  return {
    async loadPolicy(model: Model) {
      const rows = await db.select().from(casbinRule).where(rolePolicy).orderBy(casbinRule.id);
      for (const row of rows) model.addPolicy(row.ptype.slice(0, 1), row.ptype, ruleOf(row));
    },
    async savePolicy(model: Model) {
      const rows: Row[] = [];
      for (const sec of ['p', 'g']) {
        for (const [ptype, assertion] of model.model.get(sec) ?? []) {
          for (const rule of assertion.policy) rows.push(ruleRow(ptype, rule));
        }
      }
      // Replaces the role policy, leaving users' grants alone (they are not in the model).
      await db.batch([
        db.delete(casbinRule).where(rolePolicy),
        ...(rows.length > 0 ? [db.insert(casbinRule).values(rows).onConflictDoNothing()] : []),
      ]);
      return true;
    },
    addPolicy: (_sec, ptype, rule) => insert(ptype, [rule]),
    addPolicies: (_sec, ptype, rules) => insert(ptype, rules),
    removePolicy: (_sec, ptype, rule) => remove(ptype, [rule]),
    removePolicies: (_sec, ptype, rules) => remove(ptype, rules),
    async removeFilteredPolicy(_sec, ptype, fieldIndex, ...fieldValues) {
      const conditions = fieldValues.flatMap((value, offset) => {
        const field = FIELDS[fieldIndex + offset];
        return field && value !== '' ? [eq(casbinRule[field], value)] : [];
      });
      await db.delete(casbinRule).where(and(eq(casbinRule.ptype, ptype), ...conditions));
    },
  };
}

/** Builds an enforcer over the role policy as it is in the database now (one query). */
export function buildEnforcer(db: Database): Promise<Enforcer> {
  return newEnforcer(newModelFromString(MODEL), createDrizzleAdapter(db));
}

/**
 * What a request knows of the policy version: the version it read (null before the first
 * change), `'redis-down'` when Redis could not answer, or undefined when it did not ask.
 */
type VersionSeen = { version: string | null } | 'redis-down' | undefined;

/**
 * One enforcer kept fresh: what an isolate holds. Two of these built side by side behave as two
 * isolates do.
 */
export interface PolicyCache {
  /**
   * The enforcer. When the request read the policy version (in authentication's round trip), it
   * is rebuilt only if that version moved. Otherwise the version is read at most once per
   * `POLICY_CHECK_INTERVAL_MS`; while Redis cannot answer, the last policy is kept and rebuilt
   * from the database once per interval (logged).
   */
  enforcer(deps: PolicyDeps, seen?: VersionSeen): Promise<Enforcer>;
}

/** A new, empty policy cache; it builds its enforcer on first use. */
export function createPolicyCache(): PolicyCache {
  let current: Promise<Enforcer> | undefined;
  /** The version the current enforcer was built at; undefined when it was not known. */
  let builtAt: string | null | undefined;
  let checkedAt = 0;

  // The enforcer in use is never mutated: a rebuild makes a new one and swaps it in, so requests
  // mid-check keep a consistent policy, and concurrent requests share one rebuild.
  const rebuild = (db: Database, version: string | null | undefined) => {
    const next = buildEnforcer(db);
    const previous = current;
    current = next;
    builtAt = version;
    next.catch(() => {
      if (current === next) {
        current = previous;
        builtAt = undefined;
      }
    });
    return next;
  };

  const readVersion = async (deps: PolicyDeps) => {
    try {
      return { version: versionOf(await deps.redis.get(POLICY_VERSION_KEY)) };
    } catch (error) {
      deps.logger.warn('policy version unavailable', { error: String(error) });
      return 'redis-down' as const;
    }
  };

  return {
    async enforcer(deps, seen) {
      const now = Date.now();
      if (seen === undefined || seen === 'redis-down') {
        if (current && now - checkedAt < deps.settings.POLICY_CHECK_INTERVAL_MS) return current;
        checkedAt = now;
        if (seen === undefined) seen = await readVersion(deps);
        if (seen === 'redis-down') {
          deps.logger.warn('policy version unavailable; reloading the policy from the database');
          return rebuild(deps.db, undefined);
        }
      }
      checkedAt = now;
      if (current && builtAt === seen.version) return current;
      return rebuild(deps.db, seen.version);
    },
  };
}

/**
 * The policy cache of this isolate (one per settings, like the clients).
 *
 * @example
 * const enforcer = await isolatePolicy(settings).enforcer(c.var, { version: '3' });
 */
const isolatePolicy: (settings: Settings) => PolicyCache = perSettings(() => createPolicyCache());

/**
 * Records a change of the role policy, after it is committed: every isolate rebuilds its enforcer
 * within `POLICY_CHECK_INTERVAL_MS` (at once, for requests that read the version). If Redis
 * cannot take it, the change is logged as an error: isolates that can reach Redis keep the old
 * policy until the next change.
 */
export async function bumpPolicyVersion(deps: Pick<PolicyDeps, 'redis' | 'logger'>) {
  try {
    await deps.redis.incr(POLICY_VERSION_KEY);
  } catch (error) {
    deps.logger.error('policy version not bumped: other isolates keep the old policy', {
      error: String(error),
    });
  }
}

/** A user's direct roles, by name: a query to run or to batch. */
export const userRolesQuery = (db: Database, userId: number) =>
  db
    .select({ role: casbinRule.v1 })
    .from(casbinRule)
    .where(and(eq(casbinRule.ptype, 'g'), eq(casbinRule.v0, userSubject(userId))))
    .orderBy(casbinRule.v1);

/** What authorizes a request: the user's roles and the enforcer of the role policy. */
export interface Access {
  roles: string[];
  enforcer: Enforcer;
}

/**
 * The user's roles and a current enforcer. `preflight` is what the request's Redis round trip
 * read: with the roles cached and the version unchanged, this costs no I/O. On a miss the roles
 * come from the database (one query) and are cached, unless a writer cached newer ones
 * meanwhile (NX).
 */
export async function accessOf(
  deps: PolicyDeps,
  userId: number,
  preflight: Preflight | undefined,
): Promise<Access> {
  const snapshot = snapshotOf(preflight, userId);
  const seen =
    snapshot === 'redis-down' || snapshot === undefined
      ? snapshot
      : { version: snapshot.policyVersion };
  const [enforcer, roles] = await Promise.all([
    isolatePolicy(deps.settings).enforcer(deps, seen),
    snapshot !== 'redis-down' && snapshot?.roles
      ? snapshot.roles
      : loadRoles(deps, userId, snapshot !== 'redis-down'),
  ]);
  return { roles, enforcer };
}

async function loadRoles(deps: PolicyDeps, userId: number, cache: boolean) {
  const roles = (await userRolesQuery(deps.db, userId)).map((row) => row.role);
  if (cache) {
    await deps.redis
      .set(userRolesKey(userId), roles, { nx: true, ex: USER_ROLES_TTL_SECONDS })
      .catch(() => undefined);
  }
  return roles;
}

/** Whether one of the roles grants `action` on `resource`. */
export async function allows(access: Access, resource: string, action: string): Promise<boolean> {
  for (const role of access.roles) {
    if (await access.enforcer.enforce(role, resource, action)) return true;
  }
  return false;
}

/** The roles, with those they inherit through role nesting. */
export async function effectiveRoles(access: Access): Promise<string[]> {
  const inherited = await Promise.all(
    access.roles.map((role) => access.enforcer.getImplicitRolesForUser(role)),
  );
  return [...new Set([...access.roles, ...inherited.flat()])].sort();
}

/** Every `[resource, action]` the roles grant, sorted. */
export async function effectivePermissions(access: Access): Promise<[string, string][]> {
  const granted = new Map<string, [string, string]>();
  for (const role of access.roles) {
    for (const [
      ,
      resource = '',
      action = '',
    ] of await access.enforcer.getImplicitPermissionsForUser(role)) {
      granted.set(`${resource}:${action}`, [resource, action]);
    }
  }
  return [...granted.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, pair]) => pair);
}
