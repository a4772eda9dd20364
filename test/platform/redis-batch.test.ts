import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getRedis, RedisBatch } from '../../src/platform/redis';
import { parseSettings } from '../../src/settings';
import { redisRequests, tagged } from '../helpers/stats';

/** A client whose requests the local Redis counts under a tag of its own. */
function countedRedis() {
  const { tag, settings } = tagged();
  return { tag, redis: getRedis(parseSettings({ ...env, ...settings })) };
}

describe('RedisBatch (issue 13)', () => {
  it('sends what parts of a request add as one request, each promise with its own reply', async () => {
    const { tag, redis } = countedRedis();
    const key = `batch-test:${crypto.randomUUID()}`;
    await redis.set(key, { name: 'Ada', roles: ['editor'] });
    const before = await redisRequests(tag);

    const batch = new RedisBatch(redis);
    const [found, missing] = [batch.get(key), batch.get(`${key}:missing`)];
    const script = batch.evalsha<[], unknown>('0'.repeat(40), [], []);
    script.catch(() => undefined);
    expect(batch.size).toBe(3);
    await batch.send();

    expect(await found).toEqual({ name: 'Ada', roles: ['editor'] });
    expect(await missing).toBeNull();
    // What @upstash/ratelimit looks for before it falls back to EVAL.
    await expect(script).rejects.toThrow(/NOSCRIPT/);
    expect(await redisRequests(tag)).toBe(before + 1);

    // After send(), a command goes on its own.
    expect(await batch.get(key)).toEqual({ name: 'Ada', roles: ['editor'] });
    expect(await redisRequests(tag)).toBe(before + 2);
  });

  it('rejects every command with the failure when the request cannot be sent', async () => {
    const redis = getRedis(parseSettings({ ...env, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' }));
    const batch = new RedisBatch(redis);
    const reads = batch.getAll(['a', 'b']);
    const script = batch.evalsha('0'.repeat(40), [], []);
    script.catch(() => undefined);
    await batch.send();
    await expect(reads).rejects.toThrow();
    await expect(script).rejects.toThrow();
  });
});
