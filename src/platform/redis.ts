import { Redis } from '@upstash/redis/cloudflare';
import { perSettings } from '../lib/per-settings';
import { type Settings, SettingsError } from '../settings';

export type { Redis };

/** How long one Redis REST call may take before it fails (and a rate limit falls back). */
export const REDIS_TIMEOUT_MS = 2_000;

function createRedis(settings: Settings): Redis {
  const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = settings;
  if (!url || !token) {
    throw new SettingsError(
      'Redis is not configured: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN',
    );
  }
  return new Redis({
    url,
    token,
    // Commands are sent when called, one request each: explicit pipelines are the only batching,
    // so the number of Redis requests an operation costs is what its code says.
    enableAutoPipelining: false,
    enableTelemetry: false,
    // One quick retry on a network error, never a long backoff inside a request.
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(REDIS_TIMEOUT_MS),
  });
}

/**
 * The Upstash Redis REST client for these settings. It holds no connection (every command is
 * an HTTP request), so one client per isolate is reused across requests; creating it does no I/O.
 *
 * @throws {SettingsError} when `UPSTASH_REDIS_REST_URL` or `_TOKEN` is missing.
 * @example
 * const redis = getRedis(settings);
 * await redis.set('greeting', 'hello', { ex: 60 });
 */
export const getRedis: (settings: Settings) => Redis = perSettings(createRedis);
