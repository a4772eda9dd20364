import { SettingsError } from '../settings';
import type { Redis } from './redis';

/** What a lookup found: the value, nothing, or a Redis failure (then the loader runs). */
export type CacheOutcome = 'hit' | 'miss' | 'error';

/**
 * What the cache helpers need: the Redis client and a sink for each lookup's outcome (the
 * services middleware turns it into `Server-Timing: cache;desc="hit"` and logs errors), so
 * services use the cache without knowing about requests.
 */
export interface Cache {
  redis: Redis;
  report(outcome: CacheOutcome, durationMs: number, error?: unknown): void;
}

export interface RememberOptions<T> {
  /** Tags to invalidate this entry by, all at once, with {@link forgetTag}. */
  tags?: string[];
  /**
   * Turns the cached JSON back into a `T`. Values round-trip through JSON, so a `Date` comes
   * back as an ISO string: pass e.g. a zod schema's `parse` with `z.coerce.date()` to revive it.
   */
  parse?: (cached: unknown) => T;
}

const KEY_PREFIX = 'cache:';
const TAG_PREFIX = `${KEY_PREFIX}tag:`;

/** Deletes every entry of the tags' sets, then the sets: atomic, one request. */
const FORGET_TAGS_SCRIPT = `
for _, tag in ipairs(KEYS) do
  for _, member in ipairs(redis.call('SMEMBERS', tag)) do redis.call('DEL', member) end
  redis.call('DEL', tag)
end
return 1`;

/** Cached values are wrapped so that a cached `null` is told apart from a missing key. */
interface Envelope {
  v: unknown;
}

/**
 * Returns the value cached under `key`, or runs `load`, caches its result for `ttlSeconds`
 * and returns it. A hit costs one Redis request; a miss one more (a pipeline) after `load`.
 * If Redis fails, `load` runs and nothing is cached: an outage never makes a read fail
 * (a missing configuration does).
 *
 * @example
 * const user = await remember(c.get('cache'), `user:${id}`, 60, () => findUser(db, id));
 * const page = await remember(cache, `items:${ownerId}:${skip}`, 30, load, { tags: [`items:${ownerId}`] });
 */
export async function remember<T>(
  cache: Cache,
  key: string,
  ttlSeconds: number,
  load: () => Promise<T>,
  options: RememberOptions<T> = {},
): Promise<T> {
  const start = performance.now();
  let cached: Envelope | null;
  try {
    cached = await cache.redis.get<Envelope>(KEY_PREFIX + key);
  } catch (error) {
    if (error instanceof SettingsError) throw error;
    cache.report('error', performance.now() - start, error);
    return load();
  }
  cache.report(cached ? 'hit' : 'miss', performance.now() - start);
  if (cached) return options.parse ? options.parse(cached.v) : (cached.v as T);

  const value = await load();
  const envelope: Envelope = { v: value === undefined ? null : value };
  const pipeline = cache.redis.pipeline().set(KEY_PREFIX + key, envelope, { ex: ttlSeconds });
  for (const tag of options.tags ?? []) {
    // The tag set lives as long as its longest-lived entry: NX sets a first expiry, GT extends it.
    pipeline
      .sadd(TAG_PREFIX + tag, KEY_PREFIX + key)
      .expire(TAG_PREFIX + tag, ttlSeconds, 'NX')
      .expire(TAG_PREFIX + tag, ttlSeconds, 'GT');
  }
  try {
    await pipeline.exec();
  } catch (error) {
    cache.report('error', 0, error);
  }
  return value;
}

/**
 * Removes entries by key, in one request. Unlike lookups this throws when Redis fails: a
 * write that could not invalidate must not pass for one that did.
 *
 * @example
 * await forget(c.get('cache'), `user:${id}`);
 */
export async function forget(cache: Cache, ...keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await cache.redis.del(...keys.map((key) => KEY_PREFIX + key));
}

/** `text` as a literal in a Redis glob pattern (`*`, `?`, `[`, `]`, `\` escaped). */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Keys per SCAN step of {@link forgetPrefix}. */
const SCAN_COUNT = 1_000;

/**
 * Removes every entry whose key starts with `prefix` (e.g. `items:42:` for every cached page
 * of one owner's list) and returns how many it removed. It walks the whole keyspace with
 * `SCAN`, one request per ~1,000 keys plus one `DEL` per batch found, so it suits rare, broad
 * invalidations; on a hot path, tag the entries and use {@link forgetTag}. Entries written
 * while it runs may survive. Throws when Redis fails.
 *
 * @example
 * await forgetPrefix(c.get('cache'), `items:${ownerId}:`);
 */
export async function forgetPrefix(cache: Cache, prefix: string): Promise<number> {
  const match = `${globLiteral(KEY_PREFIX + prefix)}*`;
  let removed = 0;
  let cursor = '0';
  do {
    const [next, keys] = await cache.redis.scan(cursor, { match, count: SCAN_COUNT });
    // Tag sets share the key space; they are indexes, not entries, and expire on their own.
    const entries = keys.filter((key) => !key.startsWith(TAG_PREFIX));
    if (entries.length > 0) removed += await cache.redis.del(...entries);
    cursor = String(next);
  } while (cursor !== '0');
  return removed;
}

/**
 * Removes every entry cached with one of `tags` (see {@link RememberOptions.tags}), atomically
 * and in one request; throws when Redis fails.
 *
 * @example
 * await forgetTag(c.get('cache'), `items:${ownerId}`);
 */
export async function forgetTag(cache: Cache, ...tags: string[]): Promise<void> {
  if (tags.length === 0) return;
  await cache.redis.eval(
    FORGET_TAGS_SCRIPT,
    tags.map((tag) => TAG_PREFIX + tag),
    [],
  );
}
