import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context';
import { createLogger } from '../lib/logger';
import { getDatabase } from '../platform/db/client';
import { getQStash } from '../platform/qstash';
import { getRedis } from '../platform/redis';
import { getSettings, SettingsError } from '../settings';
import { recordTiming } from './observe';

/**
 * The client `create` builds or, when its settings are missing, a stand-in that throws that
 * `SettingsError` on first use: routes that never touch the service (health, docs) still answer
 * in a minimal setup, and the others fail naming the missing variables.
 */
function orMissing<T extends object>(create: () => T): T {
  try {
    return create();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    return new Proxy({} as T, {
      get() {
        throw error;
      },
    });
  }
}

/**
 * Puts the settings and the per-request clients on `c.var`, so handlers pass them to
 * services explicitly. Settings are parsed once per isolate; clients hold no connections.
 */
export function services() {
  return createMiddleware<AppEnv>(async function services(c, next) {
    const settings = getSettings(c.env);
    c.set('settings', settings);
    const logger = createLogger(settings, { request_id: c.get('requestId') });
    c.set('logger', logger);
    c.set('db', getDatabase(settings));
    const redis = orMissing(() => getRedis(settings));
    c.set('redis', redis);
    c.set('cache', {
      redis,
      report(outcome, durationMs, error) {
        recordTiming(c, 'cache', durationMs, outcome);
        if (error) logger.warn('cache unavailable', { error: String(error) });
      },
    });
    c.set(
      'qstash',
      orMissing(() => getQStash(settings)),
    );
    await next();
  });
}
