/**
 * The benchmark's scenarios. Adding one is one entry in {@link SCENARIOS}: what to call, the
 * status every response must have, what to prepare, and the budgets of BENCHMARKS.md it checks.
 */

import { API_POLICY } from '../src/middleware/rate-limit';
import { userRolesKey } from '../src/modules/rbac/rbac.policy';
import { userCacheKey } from '../src/modules/users/users.service';
import type { Settings } from '../src/settings';
import { type Account, API, type AppClient, freshIp, loginForm, type Tokens } from './fixtures';
import type { RequestPlan } from './load';

/** What a scenario's `prepare` gets. */
interface ScenarioContext {
  client: AppClient;
  /** The app's settings, as parsed from its bindings. */
  settings: Settings;
  /** Runs a command on the local cloud's Redis, untagged: it is not counted. */
  redis: (command: string[]) => Promise<unknown>;
  /** Connections the load will use. */
  connections: number;
  /** Seconds of load to come, warm-up included. */
  seconds: number;
  /** Requests sent one at a time after the load, to count subrequests. */
  countedRequests: number;
  /** CPU time of one password hash in workerd, measured before the scenarios. */
  hashCpuMs: number;
}

/**
 * A measure a budget can bound: round trips per request, the capacity ratio to the baseline,
 * or `cpuRatio`: this scenario's CPU per request (less `minus`'s) ÷ `over`'s, in the same run.
 */
export type Metric = 'dbRoundTrips' | 'redisRequests' | 'capacityRatio' | 'cpuRatio';

/** A budget of BENCHMARKS.md, checked against this scenario's measure. */
export interface Budget {
  label: string;
  metric: Metric;
  /** The measure must be at most `max` (round trips) or at least `min` (ratios). */
  max?: number;
  min?: number;
  /** `cpuRatio`: the scenario whose CPU per request is the unit. */
  over?: string;
  /** `cpuRatio`: a scenario whose CPU per request is taken off first (the cost of an addition). */
  minus?: string;
}

/** One thing to measure. */
export interface Scenario {
  /** Short id, used by `--only` and in the JSON. */
  name: string;
  /** What the table shows. */
  title: string;
  /** The Worker that serves it: bare Hono, or the app. */
  target: 'baseline' | 'app';
  path: string;
  /** Every response must have this status; anything else fails the run. */
  expect: number;
  /** Overrides `--connections` where more would only queue (the hashing routes). */
  connections?: number;
  /** No load, only the one-at-a-time pass: for a path the load cannot hold (an uncached read). */
  countOnly?: boolean;
  budgets?: Budget[];
  /** Runs once before the warm-up; omitted means a plain GET. */
  prepare?: (context: ScenarioContext) => Promise<RequestPlan>;
}

/** `auth.limits.ts` allows 10 logins per account in 5 minutes; one stays spare. */
const LOGINS_PER_ACCOUNT = 9;
/** TEST-NET-1: an address {@link freshIp} never hands out. */
const BLOCKED_IP = '192.0.2.1';
const NOT_FOUND = `${API}/__bench/not-found`;
/** The baseline Worker's copy of what `GET /health` answers (`bench/workers/baseline.ts`). */
export const SAME_RESPONSE = '/same-response';

const fromFreshIp = () => ({ headers: { 'CF-Connecting-IP': freshIp() } });

const WINDOW_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Waits for the API rate limit's next window unless `neededMs` fit in the current one. A
 * blocked client's block ends with its window (windows start on multiples of their length),
 * and the sliding window then lets it through again.
 */
async function fitInOneWindow(neededMs: number): Promise<void> {
  const [, amount, unit] = /^(\d+) (ms|s|m|h|d)$/.exec(API_POLICY.window) ?? [];
  const windowMs = Number(amount) * WINDOW_UNITS_MS[unit as keyof typeof WINDOW_UNITS_MS];
  if (!(neededMs < windowMs)) {
    throw new Error(
      `rate-limit-blocked needs ${neededMs} ms inside one ${windowMs} ms window: shorten --warmup/--duration`,
    );
  }
  const left = windowMs - (Date.now() % windowMs);
  if (left < neededMs) await new Promise((resolve) => setTimeout(resolve, left + 250));
}

function pick<T>(items: T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('pick: no items');
  return item;
}

/** A logged-in account, and a plan sending its bearer token from a fresh address each time. */
async function asUser(
  client: AppClient,
  extra: (account: Account) => Partial<RequestPlan> = () => ({}),
): Promise<RequestPlan> {
  const account = await client.register();
  const tokens = await client.login(account);
  return {
    headers: { Authorization: `Bearer ${tokens.access_token}`, 'Content-Type': 'application/json' },
    vary: fromFreshIp,
    ...extra(account),
  };
}

/** Items a list scenario's account owns: a full page of the default size, and more. */
const LISTED_ITEMS = 25;

/** An account owning `count` items, and a plan acting as it; `ids` are the items' ids. */
async function asItemOwner(client: AppClient, count: number) {
  let ownerId = 0;
  const plan = await asUser(client, (account) => {
    ownerId = account.id;
    return {};
  });
  const token = (plan.headers?.Authorization ?? '').replace('Bearer ', '');
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const item = (await client.send(token, 'POST', '/items', { title: `Bench ${i}` }, 201)) as {
      id: number;
    };
    ids.push(item.id);
  }
  return { plan, ids, ownerId };
}

/** Drops every cached page of an owner's item lists (the tag set `forgetResource` uses). */
async function dropItemLists(redis: ScenarioContext['redis'], ownerId: number) {
  const tag = `cache:tag:items:owner:${ownerId}`;
  const keys = (await redis(['SMEMBERS', tag])) as string[];
  await redis(['DEL', tag, ...keys]);
}

/**
 * A plan acting as an editor. The benchmark has no superuser to grant roles through the API, so
 * it writes the user's cached roles as a grant leaves them (no expiry, to outlast the run):
 * requests then authorize as they do in steady state, from authentication's Redis round trip.
 */
function asEditor(client: AppClient, redis: ScenarioContext['redis']) {
  let userId = 0;
  return asUser(client, (account) => {
    userId = account.id;
    return {};
  }).then(async (plan) => {
    await redis(['SET', userRolesKey(userId), JSON.stringify(['editor', 'viewer'])]);
    return plan;
  });
}

/** Published posts the viewer's list shows: a full page of the default size, and more. */
const LISTED_POSTS = 25;

/** Paths of the item scenarios, fixed once their items exist. */
const itemPaths = { read: `${API}/items/0`, patch: `${API}/items/0` };

export const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    title: 'bare Hono "hello" (baseline)',
    target: 'baseline',
    path: '/',
    expect: 200,
  },
  {
    name: 'same-response',
    title: "bare Hono, /health's response",
    target: 'baseline',
    path: SAME_RESPONSE,
    expect: 200,
  },
  {
    // The floor of every route that makes one Redis request (bench/workers/baseline.ts).
    name: 'one-redis-request',
    title: 'bare Hono + one Redis request',
    target: 'baseline',
    path: '/one-redis-request',
    expect: 200,
  },
  {
    name: 'one-redis-request-client',
    title: "bare Hono + one Redis request, app's client",
    target: 'baseline',
    path: '/one-redis-request/client',
    expect: 200,
  },
  {
    name: 'health',
    title: 'GET /health',
    target: 'app',
    path: `${API}/health`,
    expect: 200,
    budgets: [
      {
        label: 'middleware stack >= 70% of bare Hono (/health)',
        metric: 'capacityRatio',
        min: 0.7,
      },
      {
        label: "/health CPU <= 1.2x bare Hono's same response",
        metric: 'cpuRatio',
        over: 'same-response',
        max: 1.2,
      },
      { label: '/health: zero database round trips', metric: 'dbRoundTrips', max: 0 },
      { label: '/health: zero Redis requests', metric: 'redisRequests', max: 0 },
    ],
  },
  {
    name: 'not-found-unlimited',
    title: '404 route without the rate limit',
    target: 'app',
    // Under /health/, which the default rate limit spares: the next row without its check.
    path: `${API}/health/__bench/not-found`,
    expect: 404,
    budgets: [
      { label: '404 without the rate limit: 0 Redis calls', metric: 'redisRequests', max: 0 },
    ],
    prepare: async () => ({ vary: fromFreshIp }),
  },
  {
    name: 'rate-limit',
    title: 'rate-limit check (404 route)',
    target: 'app',
    path: NOT_FOUND,
    expect: 404,
    budgets: [
      { label: 'rate-limit check <= 1 Redis call', metric: 'redisRequests', max: 1 },
      {
        label: "default rate-limit check CPU <= +1x the hello's",
        metric: 'cpuRatio',
        over: 'baseline',
        minus: 'not-found-unlimited',
        max: 1,
      },
    ],
    prepare: async () => ({ vary: fromFreshIp }),
  },
  {
    name: 'rate-limit-blocked',
    title: 'rate-limited client (cached block)',
    target: 'app',
    path: NOT_FOUND,
    expect: 429,
    budgets: [
      { label: 'rate limit, cached block: 0 Redis calls', metric: 'redisRequests', max: 0 },
    ],
    prepare: async ({ client, settings, seconds }) => {
      // Blocking, the load and the counting pass all inside one window; 15 s for the rest.
      await fitInOneWindow(seconds * 1000 + 15_000);
      await client.exhaustRateLimit(NOT_FOUND, BLOCKED_IP, settings.RATE_LIMIT_PER_MINUTE);
      return { headers: { 'CF-Connecting-IP': BLOCKED_IP } };
    },
  },
  {
    name: 'users-me',
    title: 'GET /users/me (cached user)',
    target: 'app',
    path: `${API}/users/me`,
    expect: 200,
    budgets: [
      { label: 'authenticated read, cached: 0 DB round trips', metric: 'dbRoundTrips', max: 0 },
      {
        label: 'authenticated read, cached: 1 Redis request (rate limit included)',
        metric: 'redisRequests',
        max: 1,
      },
      {
        label: "authenticated read, cached: CPU <= 3x the hello's",
        metric: 'cpuRatio',
        over: 'baseline',
        max: 3,
      },
      {
        label: "authenticated read, cached: CPU beyond bare Hono's Redis request <= 3x the hello's",
        metric: 'cpuRatio',
        over: 'baseline',
        minus: 'one-redis-request',
        max: 3,
      },
    ],
    prepare: ({ client }) => asUser(client),
  },
  {
    name: 'users-me-uncached',
    title: 'GET /users/me (uncached user)',
    target: 'app',
    path: `${API}/users/me`,
    expect: 200,
    countOnly: true,
    budgets: [
      { label: 'authenticated read, uncached: <= 1 DB round trip', metric: 'dbRoundTrips', max: 1 },
    ],
    prepare: ({ client, redis }) =>
      asUser(client, (account) => ({
        beforeCounted: async () => {
          await redis(['DEL', userCacheKey(account.id)]);
        },
      })),
  },
  {
    name: 'rbac-me',
    title: 'GET /rbac/me (viewer, authorized)',
    target: 'app',
    path: `${API}/rbac/me`,
    expect: 200,
    budgets: [
      { label: 'authorization: 0 DB round trips', metric: 'dbRoundTrips', max: 0 },
      {
        label: 'authorization: no Redis request beyond the preflight',
        metric: 'redisRequests',
        max: 1,
      },
    ],
    prepare: ({ client }) => asUser(client),
  },
  {
    name: 'authz-denied',
    title: 'GET /rbac/roles (viewer, 403)',
    target: 'app',
    path: `${API}/rbac/roles`,
    expect: 403,
    budgets: [
      { label: 'permission check: 0 DB round trips', metric: 'dbRoundTrips', max: 0 },
      {
        label: 'permission check: no Redis request beyond the preflight',
        metric: 'redisRequests',
        max: 1,
      },
    ],
    prepare: ({ client }) => asUser(client),
  },
  {
    name: 'users-me-patch',
    title: 'PATCH /users/me (a write)',
    target: 'app',
    path: `${API}/users/me`,
    expect: 200,
    budgets: [
      { label: 'a write: 1 DB round trip', metric: 'dbRoundTrips', max: 1 },
      { label: "a write: CPU <= 6x the hello's", metric: 'cpuRatio', over: 'baseline', max: 6 },
    ],
    prepare: ({ client }) => {
      let n = 0;
      return asUser(client, () => ({
        method: 'PATCH',
        vary: () => ({
          ...fromFreshIp(),
          body: JSON.stringify({ first_name: `Bench ${++n % 1000}` }),
        }),
      }));
    },
  },
  {
    name: 'login',
    title: 'POST /auth/jwt/login',
    target: 'app',
    path: `${API}/auth/jwt/login`,
    expect: 200,
    connections: 4,
    budgets: [{ label: 'login <= 2 DB round trips', metric: 'dbRoundTrips', max: 2 }],
    prepare: async ({ client, seconds, countedRequests, hashCpuMs }) => {
      // At most one login per hash of workerd CPU; 2.5× covers a second core and noise. Each
      // account serves LOGINS_PER_ACCOUNT, so the per-account limit never answers 429.
      const most = Math.ceil(((seconds * 1000) / Math.max(hashCpuMs, 10)) * 2.5) + countedRequests;
      const accounts = await client.registerMany(Math.ceil(most / LOGINS_PER_ACCOUNT));
      let n = 0;
      return {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        vary: () => ({ ...fromFreshIp(), body: loginForm(pick(accounts, n++).email) }),
      };
    },
  },
  {
    name: 'refresh',
    title: 'POST /auth/jwt/refresh',
    target: 'app',
    path: `${API}/auth/jwt/refresh`,
    expect: 200,
    prepare: async ({ client, connections }) => {
      // Each refresh token works once. Every request takes one from the pool and its answer
      // puts the successor back, so one per connection (and a few spare) lasts the whole run.
      const count = connections + 4;
      const accounts = await client.registerMany(Math.ceil(count / LOGINS_PER_ACCOUNT));
      const pool: string[] = [];
      for (let i = 0; i < count; i++)
        pool.push((await client.login(pick(accounts, i))).refresh_token);
      return {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        vary: () => ({
          ...fromFreshIp(),
          body: JSON.stringify({ refresh_token: pool.pop() ?? 'the-pool-ran-dry' }),
        }),
        onResponse: (status, body) => {
          if (status === 200) pool.push((JSON.parse(body) as Tokens).refresh_token);
        },
      };
    },
  },
  {
    name: 'posts-list-viewer',
    title: 'GET /posts (viewer, cached page)',
    target: 'app',
    path: `${API}/posts`,
    expect: 200,
    budgets: [
      { label: 'post list as a viewer: 0 DB round trips', metric: 'dbRoundTrips', max: 0 },
      {
        label: 'post list as a viewer: no Redis request beyond the preflight and the cache',
        metric: 'redisRequests',
        max: 2,
      },
    ],
    prepare: async ({ client, redis }) => {
      const editor = await asEditor(client, redis);
      const token = (editor.headers?.Authorization ?? '').replace('Bearer ', '');
      for (let i = 0; i < LISTED_POSTS; i++) {
        const post = { title: `Bench ${i}`, content: 'Posted', published: true };
        await client.send(token, 'POST', '/posts', post, 201);
      }
      return asUser(client);
    },
  },
  {
    name: 'posts-create-editor',
    title: 'POST /posts (editor)',
    target: 'app',
    path: `${API}/posts`,
    expect: 201,
    budgets: [
      { label: 'post create as an editor: 1 DB round trip', metric: 'dbRoundTrips', max: 1 },
    ],
    prepare: async ({ client, redis }) => ({
      ...(await asEditor(client, redis)),
      method: 'POST',
      body: JSON.stringify({ title: 'Bench', content: 'Posted' }),
    }),
  },
  {
    name: 'items-list',
    title: 'GET /items (cached page)',
    target: 'app',
    path: `${API}/items`,
    expect: 200,
    budgets: [{ label: 'list page, cached: 0 DB round trips', metric: 'dbRoundTrips', max: 0 }],
    prepare: async ({ client }) => (await asItemOwner(client, LISTED_ITEMS)).plan,
  },
  {
    name: 'items-list-uncached',
    title: 'GET /items (uncached page)',
    target: 'app',
    path: `${API}/items`,
    expect: 200,
    countOnly: true,
    budgets: [
      {
        label: 'list page, uncached: 1 DB round trip (COUNT included)',
        metric: 'dbRoundTrips',
        max: 1,
      },
    ],
    prepare: async ({ client, redis }) => {
      const { plan, ownerId } = await asItemOwner(client, LISTED_ITEMS);
      return { ...plan, beforeCounted: () => dropItemLists(redis, ownerId) };
    },
  },
  {
    name: 'items-read',
    title: 'GET /items/{id} (cached)',
    target: 'app',
    get path() {
      return itemPaths.read;
    },
    expect: 200,
    budgets: [{ label: 'item read, cached: 0 DB round trips', metric: 'dbRoundTrips', max: 0 }],
    prepare: async ({ client }) => {
      const { plan, ids } = await asItemOwner(client, 1);
      itemPaths.read = `${API}/items/${ids[0]}`;
      return plan;
    },
  },
  {
    name: 'items-read-uncached',
    title: 'GET /items/{id} (uncached)',
    target: 'app',
    get path() {
      return itemPaths.read;
    },
    expect: 200,
    countOnly: true,
    budgets: [{ label: 'item read, uncached: <= 1 DB round trip', metric: 'dbRoundTrips', max: 1 }],
    prepare: async ({ client, redis }) => {
      const { plan, ids } = await asItemOwner(client, 1);
      itemPaths.read = `${API}/items/${ids[0]}`;
      return {
        ...plan,
        beforeCounted: async () => void (await redis(['DEL', `cache:items:${ids[0]}`])),
      };
    },
  },
  {
    name: 'items-create',
    title: 'POST /items',
    target: 'app',
    path: `${API}/items`,
    expect: 201,
    budgets: [{ label: 'item create: 1 DB round trip', metric: 'dbRoundTrips', max: 1 }],
    prepare: ({ client }) =>
      asUser(client, () => ({ method: 'POST', body: JSON.stringify({ title: 'Bench' }) })),
  },
  {
    name: 'items-create-idempotent',
    title: 'POST /items with Idempotency-Key',
    target: 'app',
    path: `${API}/items`,
    expect: 201,
    budgets: [
      { label: 'item create, Idempotency-Key: 1 DB round trip', metric: 'dbRoundTrips', max: 1 },
    ],
    prepare: ({ client }) => {
      let n = 0;
      return asUser(client, () => ({
        method: 'POST',
        body: JSON.stringify({ title: 'Bench' }),
        vary: () => ({
          headers: {
            'CF-Connecting-IP': freshIp(),
            'Idempotency-Key': `bench-${process.pid}-${++n}`,
          },
        }),
      }));
    },
  },
  {
    name: 'items-patch-if-match',
    title: 'PATCH /items/{id} with If-Match',
    target: 'app',
    get path() {
      return itemPaths.patch;
    },
    expect: 200,
    // Each PATCH needs the ETag the previous one returned: one at a time, never under load.
    countOnly: true,
    budgets: [{ label: 'a write with If-Match: 1 DB round trip', metric: 'dbRoundTrips', max: 1 }],
    prepare: async ({ client }) => {
      const { plan, ids } = await asItemOwner(client, 1);
      itemPaths.patch = `${API}/items/${ids[0]}`;
      let version = 1;
      return {
        ...plan,
        method: 'PATCH',
        vary: () => ({
          headers: { 'CF-Connecting-IP': freshIp(), 'If-Match': `"${version}"` },
          body: JSON.stringify({ title: `Bench ${++version}` }),
        }),
      };
    },
  },
];
