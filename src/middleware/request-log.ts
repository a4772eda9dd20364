import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env';
import { createLogger } from '../lib/logger';

/**
 * One JSON log line per request: request id, method, matched route, status, duration and
 * user id. 5xx responses log at `error`, everything else at `info`.
 */
export function requestLog() {
  return createMiddleware<AppEnv>(async function requestLog(c, next) {
    const start = performance.now();
    await next();
    const logger = c.get('logger') ?? createLogger('info', { request_id: c.get('requestId') });
    const status = c.res.status;
    const line = {
      method: c.req.method,
      route: routePath(c, -1),
      path: c.req.path,
      status,
      duration_ms: Math.round((performance.now() - start) * 10) / 10,
      user_id: c.get('user')?.id ?? null,
    };
    if (status >= 500) logger.error('request', { ...line, error: c.error?.message });
    else logger.info('request', line);
  });
}
