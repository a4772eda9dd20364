import type { Context } from 'hono';
import { tryGetContext } from 'hono/context-storage';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes, routePath } from 'hono/route';
import type { AppEnv } from '../context';
import { createLogger } from '../lib/logger';
import { timeDatabaseRoundTrips } from '../platform/db/client';
import { writeRequestMetrics } from './metrics';

const METRICS = Symbol('server-timing');
const DATABASE = Symbol('database-time');
const CACHE = Symbol('cache-outcomes');

type Timed = Context & {
  [METRICS]?: string[];
  [DATABASE]?: { trips: number; ms: number };
  [CACHE]?: { hits: number; misses: number };
};

/**
 * Adds a `Server-Timing` metric to this request's response, e.g. `cache`.
 *
 * @example
 * recordTiming(c, 'cache', 0, 'hit');
 */
export function recordTiming(c: Context, name: string, durationMs: number, description?: string) {
  const timed = c as Timed;
  const desc = description ? `;desc="${description}"` : '';
  timed[METRICS] ??= [];
  timed[METRICS].push(`${name};dur=${durationMs.toFixed(1)}${desc}`);
  if (name === 'cache' && (description === 'hit' || description === 'miss')) {
    timed[CACHE] ??= { hits: 0, misses: 0 };
    timed[CACHE][description === 'hit' ? 'hits' : 'misses'] += 1;
  }
}

// Every database round trip is one fetch of the Neon driver: it is added to the `db` metric of
// the request it ran for (found through hono's context storage; none for cron or scripts).
timeDatabaseRoundTrips((ms) => {
  const c = tryGetContext<AppEnv>() as Timed | undefined;
  if (!c) return;
  c[DATABASE] ??= { trips: 0, ms: 0 };
  c[DATABASE].trips += 1;
  c[DATABASE].ms += ms;
});

/**
 * The route that answered: the handler that ran (or whose middleware refused the request), not
 * the last pattern that matched the path (`/users/:id` also matches `/users/me`). Before any
 * route ran (a 404, a global limit), the first route that would have; else the last pattern.
 */
function answeringRoute(c: Context): string {
  const routes = matchedRoutes(c);
  const current = routes[c.req.routeIndex];
  if (current && current.method !== 'ALL') return current.path;
  const next = routes.slice(c.req.routeIndex).find((route) => route.method !== 'ALL');
  return next?.path ?? routePath(c, -1);
}

/**
 * What a request leaves for operators, on one clock: `X-Process-Time` (milliseconds),
 * `Server-Timing` with `app`, `db` (time in database round trips, and how many) and any metric
 * recorded with {@link recordTiming}, and one JSON log line (request id, method, matched route,
 * status, duration, user id; `error` level for 5xx, `info` otherwise), and one Analytics Engine
 * data point when the `METRICS` binding exists ({@link writeRequestMetrics}). Runs after
 * `requestId()`, and after `contextStorage()` for the `db` metric. Workers advance clocks only
 * across I/O, so durations show time spent waiting on subrequests, not CPU.
 */
export function observe() {
  return createMiddleware<AppEnv>(async function observe(c, next) {
    const start = performance.now();
    await next();
    const duration = performance.now() - start;
    const timed = c as Timed;
    const database = timed[DATABASE];
    if (database) {
      const trips = `${database.trips} round trip${database.trips === 1 ? '' : 's'}`;
      recordTiming(c, 'db', database.ms, trips);
    }
    recordTiming(c, 'app', duration);
    const { headers, status } = c.res;
    headers.set('X-Process-Time', duration.toFixed(1));
    headers.set('Server-Timing', timed[METRICS]?.join(', ') ?? '');

    const dataset = c.env?.METRICS;
    const logger = c.get('logger') ?? createLogger('info', { request_id: c.get('requestId') });
    const level = status >= 500 ? 'error' : 'info';
    const logging = logger.enabled(level);
    // Finding the answering route costs a walk of the matched routes: only when it is used.
    if (!dataset && !logging) return;
    const route = answeringRoute(c);
    writeRequestMetrics(dataset, {
      method: c.req.method,
      route,
      status,
      durationMs: duration,
      database: database ?? { trips: 0, ms: 0 },
      cache: timed[CACHE] ?? { hits: 0, misses: 0 },
    });
    if (!logging) return;
    logger[level]('request', {
      method: c.req.method,
      route,
      path: c.req.path,
      status,
      duration_ms: Math.round(duration * 10) / 10,
      user_id: c.get('user')?.id ?? null,
      ...(status >= 500 && { error: c.error?.message }),
    });
  });
}
