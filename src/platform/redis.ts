import { Redis } from '@upstash/redis/cloudflare';
import { perSettings } from '../lib/per-settings';
import { type Settings, SettingsError } from '../settings';

export type { Redis };

/** How long one Redis REST call may take before it fails (and a rate limit falls back). */
const REDIS_TIMEOUT_MS = 2_000;

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
    // Every value the app stores is JSON or ASCII (counters, marks, JSON documents), which JSON
    // replies carry as they are: base64 would only add an encoding and a decoding per reply.
    responseEncoding: false,
    // One quick retry on a network error, never a long backoff inside a request.
    retry: { retries: 1, backoff: () => 50 },
    // The one timer a request arms for Redis: it aborts the call (no retry after it).
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

interface Waiting {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Commands gathered from several parts of a request and sent together, as one pipeline (one
 * REST request), by {@link RedisBatch.send}. Each command's promise settles with its own reply
 * or Redis's error for it; when the request fails, they all reject with that failure. A command
 * added after `send()` is sent on its own.
 *
 * `evalsha` and `eval` take the client's arguments, so the batch can stand in for the client
 * where a library only runs scripts (the sliding window of `@upstash/ratelimit`).
 *
 * @example
 * const batch = new RedisBatch(redis);
 * const user = batch.get<CachedUser>(userCacheKey(7));
 * const revoked = batch.get(`session:revoked:${familyId}`);
 * await batch.send();
 * console.log(await user, await revoked);
 */
export class RedisBatch {
  readonly #redis: Redis;
  #pipeline: ReturnType<Redis['pipeline']> | undefined;
  readonly #waiting: Waiting[] = [];
  #sent = false;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** Commands waiting for {@link RedisBatch.send}. */
  get size(): number {
    return this.#waiting.length;
  }

  #add<T>(
    queue: (pipeline: ReturnType<Redis['pipeline']>) => void,
    alone: () => Promise<T>,
  ): Promise<T> {
    if (this.#sent) return alone();
    try {
      this.#pipeline ??= this.#redis.pipeline();
    } catch (error) {
      // A client whose settings are missing throws on first use: as a rejection, like a call.
      return Promise.reject(error);
    }
    queue(this.#pipeline);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** `GET key`, its JSON parsed as the client does; null when the key does not exist. */
  get<T>(key: string): Promise<T | null> {
    return this.#add(
      (pipeline) => pipeline.get(key),
      () => this.#redis.get<T>(key),
    );
  }

  /** `GET` of each key, as key → value (null when absent). */
  async getAll(keys: readonly string[]): Promise<Map<string, unknown>> {
    const values = await Promise.all(keys.map((key) => this.get(key)));
    return new Map(keys.map((key, index) => [key, values[index]]));
  }

  /** `EVALSHA`: a script Redis already has, by its SHA1. */
  evalsha<TArgs extends unknown[], TData = unknown>(
    sha1: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData> {
    return this.#add(
      (pipeline) => pipeline.evalsha(sha1, keys, args),
      () => this.#redis.evalsha<TArgs, TData>(sha1, keys, args),
    );
  }

  /**
   * `EVAL`, always on its own: it only follows an `EVALSHA` Redis answered `NOSCRIPT`, which
   * happens once per script and Redis server.
   */
  eval<TArgs extends unknown[], TData = unknown>(
    script: string,
    keys: string[],
    args: TArgs,
  ): Promise<TData> {
    return this.#redis.eval<TArgs, TData>(script, keys, args);
  }

  /** Sends the commands added so far in one request; never rejects (each command does). */
  async send(): Promise<void> {
    this.#sent = true;
    const pipeline = this.#pipeline;
    if (!pipeline) return;
    try {
      const replies = await pipeline.exec({ keepErrors: true });
      replies.forEach(({ result, error }, index) => {
        const waiting = this.#waiting[index];
        if (error) waiting?.reject(new Error(error));
        else waiting?.resolve(result);
      });
    } catch (error) {
      for (const waiting of this.#waiting) waiting.reject(error);
    }
  }
}
