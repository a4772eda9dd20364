import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

const METRICS = Symbol('server-timing');

type Timed = Context & { [METRICS]?: string[] };

/**
 * Adds a `Server-Timing` metric to this request's response, e.g. `db` or `cache`.
 *
 * @example
 * recordTiming(c, 'cache', 0, 'hit');
 */
export function recordTiming(c: Context, name: string, durationMs: number, description?: string) {
  const timed = c as Timed;
  const desc = description ? `;desc="${description}"` : '';
  timed[METRICS] ??= [];
  timed[METRICS].push(`${name};dur=${durationMs.toFixed(1)}${desc}`);
}

/**
 * Measures the request: `X-Process-Time` (milliseconds) and `Server-Timing: app;dur=…` plus
 * any metric recorded with {@link recordTiming}. Workers advance clocks only across I/O, so
 * durations show time spent waiting on subrequests, not CPU.
 */
export function timing() {
  return createMiddleware<AppEnv>(async function timing(c, next) {
    const start = performance.now();
    await next();
    const duration = performance.now() - start;
    recordTiming(c, 'app', duration);
    c.res.headers.set('X-Process-Time', duration.toFixed(1));
    c.res.headers.set('Server-Timing', (c as Timed)[METRICS]?.join(', ') ?? '');
  });
}
