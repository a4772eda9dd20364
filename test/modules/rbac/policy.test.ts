import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/lib/logger';
import {
  buildEnforcer,
  bumpPolicyVersion,
  createDrizzleAdapter,
  createPolicyCache,
  POLICY_VERSION_KEY,
  type PolicyDeps,
} from '../../../src/modules/rbac/rbac.policy';
import { getDatabase } from '../../../src/platform/db/client';
import { casbinRule } from '../../../src/platform/db/schema';
import { getRedis } from '../../../src/platform/redis';
import { parseSettings } from '../../../src/settings';
import { capturingLogs } from '../../helpers/logs';
import { databaseRoundTrips, redisRequests, tagged } from '../../helpers/stats';
import { testDb } from '../../helpers/users';
import { DEAD_ENDPOINT, type Overrides } from '../../helpers/worker';

const INTERVAL_MS = 150;

/** What one isolate has: its own settings, clients, and (built by the test) policy cache. */
function isolate(overrides: Overrides = {}) {
  const { tag, settings: counted } = tagged();
  const settings = parseSettings({
    ...env,
    ...counted,
    POLICY_CHECK_INTERVAL_MS: String(INTERVAL_MS),
    ...overrides,
  });
  const deps: PolicyDeps = {
    db: getDatabase(settings),
    redis: getRedis(settings),
    settings,
    logger: createLogger('warn'),
  };
  return { tag, deps, policy: createPolicyCache() };
}

const uniqueRole = () => `role-${crypto.randomUUID().slice(0, 8)}`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the policy across isolates (issue 11)', () => {
  it('sees a change made through another enforcer instance within the interval', async () => {
    const role = uniqueRole();
    const first = isolate();
    const second = isolate();
    const before = await second.policy.enforcer(second.deps);
    expect(await before.enforce(role, 'reports', 'read')).toBe(false);

    const through = await first.policy.enforcer(first.deps);
    expect(await through.addPolicy(role, 'reports', 'read')).toBe(true);
    await bumpPolicyVersion(first.deps);

    await pause(INTERVAL_MS + 50);
    const after = await second.policy.enforcer(second.deps);
    expect(await after.enforce(role, 'reports', 'read')).toBe(true);
    expect(await before.enforce(role, 'reports', 'read')).toBe(false);
  });

  it('makes no database query and no Redis request while the policy is unchanged', async () => {
    const { tag, deps, policy } = isolate();
    await policy.enforcer(deps);
    const [queries, requests] = [await databaseRoundTrips(tag), await redisRequests(tag)];
    // Within the interval: neither Redis nor the database.
    for (let i = 0; i < 20; i++) await policy.enforcer(deps);
    expect(await databaseRoundTrips(tag)).toBe(queries);
    expect(await redisRequests(tag)).toBe(requests);

    // The version a request read in authentication's round trip: a rebuild only when it moves.
    const version = { version: String(await deps.redis.get(POLICY_VERSION_KEY)) };
    await policy.enforcer(deps, version);
    const rebuilt = await databaseRoundTrips(tag);
    for (let i = 0; i < 20; i++) {
      await pause(10);
      await policy.enforcer(deps, version);
    }
    expect(await databaseRoundTrips(tag)).toBe(rebuilt);
    await policy.enforcer(deps, { version: `${version.version}-moved` });
    expect(await databaseRoundTrips(tag)).toBe(rebuilt + 1);
  });

  it('keeps its last policy while Redis is down and rebuilds it from the database on the interval, logged', async () => {
    const role = uniqueRole();
    const { tag, deps, policy } = isolate({ UPSTASH_REDIS_REST_URL: DEAD_ENDPOINT });
    const { result: first, lines } = await capturingLogs('warn', () => policy.enforcer(deps));
    expect(await first.enforce('viewer', 'posts', 'read')).toBe(true);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'policy version unavailable; reloading the policy from the database',
      }),
    );
    const queries = await databaseRoundTrips(tag);
    expect(await policy.enforcer(deps)).toBe(first);
    expect(await databaseRoundTrips(tag)).toBe(queries);

    await createDrizzleAdapter(testDb()).addPolicy('p', 'p', [role, 'reports', 'read']);
    await pause(INTERVAL_MS + 50);
    const { result: next } = await capturingLogs('warn', () => policy.enforcer(deps));
    expect(await databaseRoundTrips(tag)).toBe(queries + 1);
    expect(await next.enforce(role, 'reports', 'read')).toBe(true);
  });
});

describe('policies in casbin_rule (issue 11)', () => {
  it('survive a restart: a freshly built enforcer loads what another one stored', async () => {
    const [editorOfReports, auditor] = [uniqueRole(), uniqueRole()];
    const db = testDb();
    const writer = await buildEnforcer(db);
    await writer.addPolicies([
      [editorOfReports, 'reports', 'read'],
      [editorOfReports, 'reports', 'update'],
    ]);
    await writer.addGroupingPolicy(auditor, editorOfReports);

    const restarted = await buildEnforcer(db);
    expect(await restarted.enforce(editorOfReports, 'reports', 'update')).toBe(true);
    // Role nesting: the auditor role inherits what the other grants.
    expect(await restarted.enforce(auditor, 'reports', 'read')).toBe(true);
    const rows = await db
      .select({ v0: casbinRule.v0, v1: casbinRule.v1, v2: casbinRule.v2 })
      .from(casbinRule)
      .where(and(eq(casbinRule.ptype, 'p'), eq(casbinRule.v0, editorOfReports)))
      .orderBy(casbinRule.v2);
    expect(rows).toEqual([
      { v0: editorOfReports, v1: 'reports', v2: 'read' },
      { v0: editorOfReports, v1: 'reports', v2: 'update' },
    ]);

    await writer.removePolicies([[editorOfReports, 'reports', 'update']]);
    await writer.removeGroupingPolicy(auditor, editorOfReports);
    const again = await buildEnforcer(db);
    expect(await again.enforce(editorOfReports, 'reports', 'update')).toBe(false);
    expect(await again.enforce(editorOfReports, 'reports', 'read')).toBe(true);
    expect(await again.enforce(auditor, 'reports', 'read')).toBe(false);

    await writer.removeFilteredPolicy(0, editorOfReports);
    expect(await (await buildEnforcer(db)).enforce(editorOfReports, 'reports', 'read')).toBe(false);
  });

  it('store a rule once however often it is added', async () => {
    const role = uniqueRole();
    const adapter = createDrizzleAdapter(testDb());
    await adapter.addPolicy('p', 'p', [role, 'reports', 'read']);
    await adapter.addPolicy('p', 'p', [role, 'reports', 'read']);
    const rows = await testDb().select().from(casbinRule).where(eq(casbinRule.v0, role));
    expect(rows).toHaveLength(1);
  });
});
