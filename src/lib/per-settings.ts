import type { Settings } from '../settings';

/**
 * Memoises `create` per settings object: settings are parsed once per isolate, so a client
 * built from them is built once per isolate too, and tests that swap settings get their own.
 *
 * @example
 * export const getRedis = perSettings((settings) => new Redis({ url: settings.UPSTASH_REDIS_REST_URL }));
 */
export function perSettings<T>(create: (settings: Settings) => T): (settings: Settings) => T {
  const built = new WeakMap<Settings, T>();
  return (settings) => {
    let value = built.get(settings);
    if (value === undefined) {
      value = create(settings);
      built.set(settings, value);
    }
    return value;
  };
}
