import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { AppEnv } from '../../src/context';
import { observe } from '../../src/middleware/observe';
import { services } from '../../src/middleware/services';
import {
  type Cache,
  type CacheOutcome,
  forget,
  forgetPrefix,
  forgetTag,
  remember,
} from '../../src/platform/cache';
import { getRedis } from '../../src/platform/redis';
import { settingsWith } from '../helpers/jobs';
import { DEAD_ENDPOINT } from '../helpers/worker';

/** A cache on the local Redis (optionally under a request-counting tag) that records outcomes. */
function testCache(redisUrl?: string) {
  const outcomes: CacheOutcome[] = [];
  const settings = settingsWith(redisUrl ? { UPSTASH_REDIS_REST_URL: redisUrl } : {});
  const cache: Cache = { redis: getRedis(settings), report: (outcome) => outcomes.push(outcome) };
  return { cache, outcomes };
}

/** A loader that counts its calls. */
function loader<T>(value: T) {
  const load = async () => {
    load.calls++;
    return value;
  };
  load.calls = 0;
  return load;
}

const key = (label: string) => `test:${label}:${crypto.randomUUID()}`;

describe('remember()', () => {
  it('loads on a miss, then serves the cached JSON without loading again', async () => {
    const { cache, outcomes } = testCache();
    const load = loader({ id: 1, name: 'Ada', tags: ['x'] });
    const k = key('user');
    expect(await remember(cache, k, 60, load)).toEqual({ id: 1, name: 'Ada', tags: ['x'] });
    expect(await remember(cache, k, 60, load)).toEqual({ id: 1, name: 'Ada', tags: ['x'] });
    expect(load.calls).toBe(1);
    expect(outcomes).toEqual(['miss', 'hit']);
  });

  it('caches null and strings that look like numbers as they were', async () => {
    const { cache } = testCache();
    const nothing = loader(null);
    const k = key('missing');
    await remember(cache, k, 60, nothing);
    expect(await remember(cache, k, 60, nothing)).toBeNull();
    expect(nothing.calls).toBe(1);
    const digits = key('digits');
    await remember(cache, digits, 60, loader('0042'));
    expect(await remember(cache, digits, 60, loader('other'))).toBe('0042');
  });

  it('revives values with `parse`, e.g. dates', async () => {
    const { cache } = testCache();
    const schema = z.object({ at: z.coerce.date() });
    const k = key('dated');
    const at = new Date('2026-01-02T03:04:05Z');
    await remember(cache, k, 60, async () => ({ at }), { parse: schema.parse });
    const cached = await remember(cache, k, 60, async () => ({ at: new Date(0) }), {
      parse: schema.parse,
    });
    expect(cached.at).toEqual(at);
  });

  it('forgets keys, so the next lookup loads again', async () => {
    const { cache } = testCache();
    const load = loader('v');
    const k = key('forgotten');
    await remember(cache, k, 60, load);
    await forget(cache, k);
    await remember(cache, k, 60, load);
    expect(load.calls).toBe(2);
  });

  it('forgets every entry of a tag at once, and only those', async () => {
    const { cache } = testCache();
    const tag = `owner-${crypto.randomUUID()}`;
    const [a, b, other] = [key('a'), key('b'), key('other')];
    await remember(cache, a, 60, loader(1), { tags: [tag] });
    await remember(cache, b, 30, loader(2), { tags: [tag, 'another'] });
    await remember(cache, other, 60, loader(3));

    await forgetTag(cache, tag);

    expect(await remember(cache, a, 60, loader(10))).toBe(10);
    expect(await remember(cache, b, 60, loader(20))).toBe(20);
    expect(await remember(cache, other, 60, loader(30))).toBe(3);
  });

  it('forgets every entry under a key prefix, and only those', async () => {
    const { cache } = testCache();
    const owner = `test:prefix:${crypto.randomUUID()}`;
    const inside = [`${owner}:1:page-0`, `${owner}:1:page-1`];
    const outside = [`${owner}:10:page-0`, `${owner}:1`];
    for (const k of [...inside, ...outside]) await remember(cache, k, 60, loader('cached'));

    expect(await forgetPrefix(cache, `${owner}:1:`)).toBe(2);

    for (const k of inside) expect(await remember(cache, k, 60, loader('fresh'))).toBe('fresh');
    for (const k of outside) expect(await remember(cache, k, 60, loader('fresh'))).toBe('cached');
  });

  it('reads glob characters in a prefix literally', async () => {
    const { cache } = testCache();
    const base = `test:glob:${crypto.randomUUID()}`;
    await remember(cache, `${base}:[ab]*?x`, 60, loader('literal'));
    await remember(cache, `${base}:a-x`, 60, loader('other'));

    expect(await forgetPrefix(cache, `${base}:[ab]*?`)).toBe(1);
    expect(await remember(cache, `${base}:a-x`, 60, loader('fresh'))).toBe('other');
  });

  it('costs one Redis request for a hit and two for a miss', async () => {
    const tag = `cache-cost-${crypto.randomUUID()}`;
    const { cache } = testCache(`${inject('localCloud').redis}/__tag/${tag}`);
    const k = key('cost');
    await remember(cache, k, 60, loader('v'), { tags: ['t1', 't2'] });
    const stats = async () =>
      (await (await fetch(`${inject('localCloud').redis}/__local/stats?tag=${tag}`)).json()) as {
        requests: number;
      };
    expect((await stats()).requests).toBe(2);
    await remember(cache, k, 60, loader('v'));
    expect((await stats()).requests).toBe(3);
  });

  it('loads from the source when Redis is down, but refuses to pretend it forgot', async () => {
    const { cache, outcomes } = testCache(DEAD_ENDPOINT);
    expect(await remember(cache, key('down'), 60, loader('fresh'))).toBe('fresh');
    expect(outcomes[0]).toBe('error');
    await expect(forget(cache, key('down'))).rejects.toThrow();
  });
});

describe('cache hits and misses in Server-Timing', () => {
  it('reports each lookup as cache;desc="miss" or "hit"', async () => {
    const app = new Hono<AppEnv>();
    app.use(requestId());
    app.use(observe());
    app.use(services());
    const k = key('timed');
    app.get('/', async (c) => c.json(await remember(c.var.cache, k, 60, async () => 'v')));
    const send = async () => {
      const ctx = createExecutionContext();
      const response = await app.fetch(new Request('http://localhost/'), env, ctx);
      await waitOnExecutionContext(ctx);
      return response.headers.get('Server-Timing') ?? '';
    };
    expect(await send()).toMatch(/(^|, )cache;dur=[\d.]+;desc="miss"/);
    expect(await send()).toMatch(/(^|, )cache;dur=[\d.]+;desc="hit"/);
  });
});
