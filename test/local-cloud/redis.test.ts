import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis/cloudflare';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { LocalCloudUrls } from '../../dev/local-cloud/bindings';
import { LOCAL_CREDENTIALS } from '../../dev/local-cloud/service';

interface Stats {
  requests: number;
  commands: number;
}

function endpoint(): string {
  const urls: LocalCloudUrls = inject('localCloud');
  return urls.redis;
}

const prefixes: string[] = [];

/** Keys of their own per test: with `--mode services` the Redis is shared with other runs. */
function keyPrefix(): string {
  const prefix = `test:redis:${crypto.randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

function client(
  options: { tag?: string; token?: string; automaticDeserialization?: boolean } = {},
): Redis {
  return new Redis({
    url: options.tag ? `${endpoint()}/__tag/${options.tag}` : endpoint(),
    token: options.token ?? LOCAL_CREDENTIALS.redisToken,
    automaticDeserialization: options.automaticDeserialization ?? true,
    enableTelemetry: false,
    retry: false,
  });
}

async function stats(tag: string): Promise<Stats> {
  const response = await fetch(`${endpoint()}/__local/stats?tag=${tag}`);
  expect(response.status).toBe(200);
  return response.json();
}

function rest(path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${endpoint()}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${LOCAL_CREDENTIALS.redisToken}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits out the end of a fixed window, so a test's requests all fall inside one window. */
async function startOfWindow(windowMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < 2_000) await sleep(left + 50);
}

afterAll(async () => {
  const redis = client();
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
});

describe('local Redis: data commands through @upstash/redis', () => {
  it('round-trips strings, JSON values, unicode and numeric strings with the client decoding', async () => {
    const p = keyPrefix();
    const redis = client();
    const raw = client({ automaticDeserialization: false });

    expect(await redis.set(`${p}text`, 'héllo ☃ 🎉')).toBe('OK');
    expect(await redis.get(`${p}text`)).toBe('héllo ☃ 🎉');
    await redis.set(`${p}json`, {
      name: 'Ada',
      tags: ['a', 'b'],
      nested: { ok: true, none: null },
    });
    expect(await redis.get(`${p}json`)).toEqual({
      name: 'Ada',
      tags: ['a', 'b'],
      nested: { ok: true, none: null },
    });
    await redis.set(`${p}number`, '42');
    expect(await redis.get(`${p}number`)).toBe(42);
    expect(await raw.get(`${p}number`)).toBe('42');

    expect(await redis.set(`${p}text`, 'other', { nx: true })).toBeNull();
    expect(await redis.set(`${p}absent`, 'v', { xx: true })).toBeNull();
    expect(await redis.mset({ [`${p}m1`]: 'one', [`${p}m2`]: 'two' })).toBe('OK');
    expect(await redis.mget(`${p}m1`, `${p}m2`, `${p}missing`)).toEqual(['one', 'two', null]);
    expect(await redis.getdel(`${p}m1`)).toBe('one');
    expect(await redis.getdel(`${p}m1`)).toBeNull();
    // APPEND answers the length in bytes: "é" is two in UTF-8.
    expect(await redis.append(`${p}bytes`, 'é')).toBe(2);
    expect(await redis.exists(`${p}text`, `${p}bytes`, `${p}missing`)).toBe(2);
    expect(await redis.del(`${p}text`, `${p}missing`)).toBe(1);
    expect(await redis.ping()).toBe('PONG');
  });

  it('counts with INCR, INCRBY and DECR, keeps the TTL, and refuses to increment a non-integer like Redis', async () => {
    const p = keyPrefix();
    const redis = client();

    expect(await redis.incr(`${p}counter`)).toBe(1);
    expect(await redis.incrby(`${p}counter`, 5)).toBe(6);
    expect(await redis.decr(`${p}counter`)).toBe(5);
    expect(await redis.get(`${p}counter`)).toBe(5);
    await redis.set(`${p}word`, 'abc');
    await expect(redis.incr(`${p}word`)).rejects.toThrow(
      'ERR value is not an integer or out of range',
    );
    expect(await redis.get(`${p}word`)).toBe('abc');

    await redis.set(`${p}expiring`, '1', { ex: 100 });
    expect(await redis.incr(`${p}expiring`)).toBe(2);
    expect(await redis.ttl(`${p}expiring`)).toBeGreaterThan(90);
  });

  it('expires keys with EX, PX, EXPIRE and PEXPIRE, and reports TTL, PTTL and PERSIST like Redis', async () => {
    const p = keyPrefix();
    const redis = client();

    await redis.set(`${p}ex`, 'v', { ex: 100 });
    const ttl = await redis.ttl(`${p}ex`);
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.pexpire(`${p}ex`, 5_000)).toBe(1);
    const pttl = await redis.pttl(`${p}ex`);
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    expect(await redis.persist(`${p}ex`)).toBe(1);
    expect(await redis.ttl(`${p}ex`)).toBe(-1);
    expect(await redis.ttl(`${p}missing`)).toBe(-2);
    expect(await redis.expire(`${p}missing`, 10)).toBe(0);

    await redis.set(`${p}px`, 'v', { px: 50 });
    await sleep(120);
    expect(await redis.get(`${p}px`)).toBeNull();
  });

  it('stores hashes, sets, sorted sets and lists with the reply types Redis gives', async () => {
    const p = keyPrefix();
    const redis = client();

    expect(await redis.hset(`${p}hash`, { count: 1, label: 'x' })).toBe(2);
    expect(await redis.hget(`${p}hash`, 'count')).toBe(1);
    expect(await redis.hincrby(`${p}hash`, 'count', 5)).toBe(6);
    expect(await redis.hgetall(`${p}hash`)).toEqual({ count: 6, label: 'x' });
    expect(await redis.hmget(`${p}hash`, 'label', 'missing')).toEqual({
      label: 'x',
      missing: null,
    });
    expect(await redis.hdel(`${p}hash`, 'label', 'missing')).toBe(1);
    expect(await redis.hgetall(`${p}missing`)).toBeNull();

    expect(await redis.sadd(`${p}set`, 'a', 'b', 'a')).toBe(2);
    expect(await redis.sismember(`${p}set`, 'b')).toBe(1);
    expect(((await redis.smembers(`${p}set`)) as string[]).sort()).toEqual(['a', 'b']);
    expect(await redis.srem(`${p}set`, 'a', 'z')).toBe(1);
    expect(await redis.scard(`${p}set`)).toBe(1);
    // Redis deletes a collection once its last member is gone.
    expect(await redis.srem(`${p}set`, 'b')).toBe(1);
    expect(await redis.exists(`${p}set`)).toBe(0);

    expect(
      await redis.zadd(`${p}zset`, { score: 1, member: 'a' }, { score: 2.5, member: 'b' }),
    ).toBe(2);
    expect(await redis.zadd(`${p}zset`, { score: 3, member: 'c' })).toBe(1);
    expect(await redis.zscore(`${p}zset`, 'b')).toBe(2.5);
    expect(await redis.zrange(`${p}zset`, 0, -1, { withScores: true })).toEqual([
      'a',
      1,
      'b',
      2.5,
      'c',
      3,
    ]);
    expect(await redis.zrange(`${p}zset`, 2, 3, { byScore: true })).toEqual(['b', 'c']);
    expect(await redis.zremrangebyscore(`${p}zset`, '-inf', 2)).toBe(1);
    expect(await redis.zrem(`${p}zset`, 'c', 'missing')).toBe(1);
    expect(await redis.zcard(`${p}zset`)).toBe(1);

    expect(await redis.rpush(`${p}list`, 'a', 'b', 'c')).toBe(3);
    expect(await redis.lpush(`${p}list`, 'z')).toBe(4);
    expect(await redis.lrange(`${p}list`, 0, -1)).toEqual(['z', 'a', 'b', 'c']);
    expect(await redis.lpop(`${p}list`)).toBe('z');
    expect(await redis.rpop(`${p}list`)).toBe('c');
    expect(await redis.ltrim(`${p}list`, 0, 0)).toBe('OK');
    expect(await redis.llen(`${p}list`)).toBe(1);

    expect(await redis.type(`${p}hash`)).toBe('hash');
    expect(await redis.type(`${p}zset`)).toBe('zset');
    expect(await redis.type(`${p}list`)).toBe('list');
    expect(await redis.type(`${p}missing`)).toBe('none');
  });

  it('answers WRONGTYPE when a command meets a key holding another type', async () => {
    const p = keyPrefix();
    const redis = client();

    await redis.set(`${p}string`, 'v');
    await expect(redis.hget(`${p}string`, 'field')).rejects.toThrow('WRONGTYPE');
    await expect(redis.lpush(`${p}string`, 'x')).rejects.toThrow('WRONGTYPE');
  });

  it('returns every key that stays, while other keys are deleted during the SCAN (as Redis guarantees)', async () => {
    const p = keyPrefix();
    const redis = client();
    const kept = Array.from({ length: 12 }, (_, index) => `${p}kept-${index}`);
    const doomed = Array.from({ length: 12 }, (_, index) => `${p}doomed-${index}`);
    await redis.mset(Object.fromEntries([...doomed, ...kept].map((key) => [key, 'v'])));
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, batch] = await redis.scan(cursor, { match: `${p}*`, count: 3 });
      for (const key of batch) seen.add(String(key));
      cursor = String(next);
      // Keys vanish under the cursor, as other clients delete theirs.
      if (step++ === 1) await redis.del(...doomed);
    } while (cursor !== '0');
    expect(kept.filter((key) => !seen.has(key))).toEqual([]);
  });

  it('iterates keys with SCAN MATCH and COUNT until the cursor comes back to 0', async () => {
    const p = keyPrefix();
    const redis = client();
    const keys = Array.from({ length: 25 }, (_, index) => `${p}key-${index}`);
    await redis.mset(Object.fromEntries(keys.map((key) => [key, 'v'])));
    await redis.hset(`${p}hash`, { field: 'v' });

    // A real Redis may hold other keys, so every scan runs until the cursor is back at 0.
    const scanAll = async (options: { match: string; count: number; type?: string }) => {
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, options);
        for (const key of batch) seen.add(String(key));
        cursor = String(next);
      } while (cursor !== '0');
      return [...seen].sort();
    };
    expect(await scanAll({ match: `${p}key-*`, count: 10 })).toEqual([...keys].sort());
    expect(await scanAll({ match: `${p}*`, count: 1_000, type: 'hash' })).toEqual([`${p}hash`]);
    expect((await redis.keys(`${p}key-1*`)).sort()).toEqual(
      keys.filter((key) => key.startsWith(`${p}key-1`)).sort(),
    );
  });
});

describe('local Redis: glob patterns, as Redis reads them', () => {
  // Each pattern is relative to the test's key prefix; the expected keys are Redis's answers.
  const names = ['a*', 'ab', 'abc', 'b', 'c', 'x[1]', 'x1', 'a-b', 'a?'];
  const cases: [pattern: string, matched: string[]][] = [
    ['a*', ['a*', 'a-b', 'a?', 'ab', 'abc']],
    ['a?', ['a*', 'a?', 'ab']],
    ['a\\*', ['a*']],
    ['a\\?', ['a?']],
    ['[ab]', ['b']],
    ['[^ab]', ['c']],
    ['[a-c]', ['b', 'c']],
    ['[c-a]', ['b', 'c']],
    ['x\\[1\\]', ['x[1]']],
    ['x[1]', ['x1']],
    ['a[\\-]b', ['a-b']],
    ['a[-]b', ['a-b']],
  ];

  it.each(cases)('KEYS and SCAN MATCH %s', async (pattern, matched) => {
    const p = keyPrefix();
    const redis = client();
    await redis.mset(Object.fromEntries(names.map((name) => [`${p}${name}`, 'v'])));
    const expected = matched.map((name) => `${p}${name}`).sort();
    const glob = `${p}${pattern}`; // the prefix holds no glob characters

    expect((await redis.keys(glob)).sort()).toEqual(expected);
    const scanned = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, { match: glob, count: 100 });
      for (const key of keys) scanned.add(String(key));
      cursor = String(next);
    } while (cursor !== '0');
    expect([...scanned].sort()).toEqual(expected);
  });

  it('applies the same rules to SSCAN, HSCAN and ZSCAN', async () => {
    const p = keyPrefix();
    const redis = client();
    await redis.sadd(`${p}set`, 'x[1]', 'x1', 'y');
    await redis.hset(`${p}hash`, { 'x[1]': 'a', x1: 'b', y: 'c' });
    await redis.zadd(`${p}zset`, { score: 1, member: 'x[1]' }, { score: 2, member: 'x1' });

    const [, members] = await redis.sscan(`${p}set`, 0, { match: 'x\\[*', count: 100 });
    const [, fields] = await redis.hscan(`${p}hash`, 0, { match: 'x[1]', count: 100 });
    const [, scored] = await redis.zscan(`${p}zset`, 0, { match: 'x\\[*', count: 100 });
    expect(members).toEqual(['x[1]']);
    expect(fields).toEqual(['x1', 'b']);
    expect(scored).toEqual(['x[1]', 1]);
  });
});

describe('local Redis: pipelines, transactions and the wire protocol', () => {
  it('runs a pipeline as one request with per-command results, a failing command yielding its error', async () => {
    const p = keyPrefix();
    const tag = crypto.randomUUID();
    const redis = client({ tag });

    const results = await redis
      .pipeline()
      .set(`${p}k`, '1')
      .incr(`${p}k`)
      .hget(`${p}k`, 'field')
      .get(`${p}k`)
      .exec({ keepErrors: true });
    expect(results.map(({ result }) => result)).toEqual(['OK', 2, undefined, 2]);
    expect(results[2]?.error).toMatch(/^WRONGTYPE/);
    expect(results.filter(({ error }) => error !== undefined)).toHaveLength(1);
    expect(await stats(tag)).toEqual({ requests: 1, commands: 4 });

    await expect(redis.pipeline().get(`${p}k`).hget(`${p}k`, 'field').exec()).rejects.toThrow(
      /Command 2 \[ hget \] failed: WRONGTYPE/,
    );
  });

  it('runs MULTI/EXEC with per-command results, and discards the whole transaction when a command is invalid', async () => {
    const p = keyPrefix();
    const redis = client();

    expect(await redis.multi().set(`${p}k`, '1').incr(`${p}k`).get(`${p}k`).exec()).toEqual([
      'OK',
      2,
      2,
    ]);

    const withRuntimeError = await redis
      .multi()
      .hget(`${p}k`, 'field')
      .incr(`${p}k`)
      .exec({ keepErrors: true });
    expect(withRuntimeError[0]?.error).toMatch(/^WRONGTYPE/);
    expect(withRuntimeError[1]?.result).toBe(3);

    const discarded = await rest('/multi-exec', [['SET', `${p}other`, 'x'], ['NOT-A-COMMAND']]);
    expect(discarded.status).toBe(400);
    expect(await discarded.json()).toEqual({
      error: 'EXECABORT Transaction discarded because of previous errors.',
    });
    expect(await redis.exists(`${p}other`)).toBe(0);
  });

  it('refuses a wrong token with 401 Unauthorized, which the client raises', async () => {
    await expect(client({ token: 'wrong-token' }).get('any')).rejects.toThrow('Unauthorized');
    const response = await fetch(endpoint(), {
      method: 'POST',
      headers: { Authorization: 'Bearer wrong-token' },
      body: JSON.stringify(['PING']),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'Unauthorized' });
  });

  it('answers a Redis error as HTTP 400 with the message Redis gives', async () => {
    const response = await rest('/', ['GET']);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "ERR wrong number of arguments for 'get' command",
    });
  });

  it('base64-encodes every string of a result under Upstash-Encoding: base64, except OK', async () => {
    const p = keyPrefix();
    const base64 = { 'Upstash-Encoding': 'base64' };

    expect(await (await rest('/', ['SET', `${p}k`, 'héllo'], base64)).json()).toEqual({
      result: 'OK',
    });
    expect(await (await rest('/', ['GET', `${p}k`], base64)).json()).toEqual({
      result: btoa(String.fromCharCode(...new TextEncoder().encode('héllo'))),
    });
    expect(await (await rest('/', ['MGET', `${p}k`, `${p}missing`], base64)).json()).toEqual({
      result: ['aMOpbGxv', null],
    });
    expect(await (await rest('/', ['INCR', `${p}n`], base64)).json()).toEqual({ result: 1 });
    expect(await (await rest('/', ['GET', `${p}k`])).json()).toEqual({ result: 'héllo' });
  });

  it('serves the GET path form, /set/<key>/<value>', async () => {
    const p = keyPrefix();
    expect(await (await rest(`/set/${p}path/v1`)).json()).toEqual({ result: 'OK' });
    expect(await (await rest(`/get/${p}path`)).json()).toEqual({ result: 'v1' });
  });
});

describe('local Redis: Lua scripts', () => {
  it('runs EVAL, serves EVALSHA for loaded scripts and answers NOSCRIPT for an unknown SHA', async () => {
    const p = keyPrefix();
    const redis = client();
    const script = `-- ${p}\nreturn {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}`;

    expect(await redis.eval(script, [`${p}n`], [5])).toEqual([`${p}n`, 5, 5]);
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(await sha1(script));
    expect(await redis.evalsha(sha, [`${p}n`], [2])).toEqual([`${p}n`, 2, 7]);
    expect(await redis.scriptExists(sha, 'f'.repeat(40))).toEqual([1, 0]);
    await expect(redis.evalsha('f'.repeat(40), [], [])).rejects.toThrow(
      'NOSCRIPT No matching script. Please use EVAL.',
    );
  });

  it('converts script replies like Redis: nil to null, false to null, numbers to integers, err tables to errors', async () => {
    const p = keyPrefix();
    const redis = client({ automaticDeserialization: false });

    expect(
      await redis.eval(
        "return {redis.call('GET', KEYS[1]), false, 3.9, -2.5, true, 'x', {1, {2}}}",
        [`${p}missing`],
        [],
      ),
    ).toEqual([null, null, 3, -2, 1, 'x', [1, [2]]]);
    expect(
      await redis.eval(
        "local v = redis.call('HMGET', KEYS[1], 'a') return {tostring(v[1]), #v}",
        [`${p}missing`],
        [],
      ),
    ).toEqual(['false', 1]);
    await expect(redis.eval("return redis.error_reply('MY failure')", [], [])).rejects.toThrow(
      'MY failure',
    );
  });

  it('accepts the Upstash-only flag allow-key-locking and keeps EVALSHA by the client-side SHA', async () => {
    const p = keyPrefix();
    const redis = client();
    const script = `#!lua flags=allow-key-locking\n-- ${p}\nreturn redis.call('INCR', KEYS[1])`;

    await expect(redis.evalsha(await sha1(script), [`${p}n`], [])).rejects.toThrow('NOSCRIPT');
    expect(await redis.eval(script, [`${p}n`], [])).toBe(1);
    expect(await redis.evalsha(await sha1(script), [`${p}n`], [])).toBe(2);
  });
});

describe('local Redis: the Lua 5.1 dialect of Redis scripts (issue 14)', () => {
  const evalError = (script: string) =>
    client()
      .eval(script, [], [])
      .then(
        () => '',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );

  it('refuses Lua 5.3 syntax (floor division, bitwise operators) as a compile error', async () => {
    for (const script of ['return 7 // 2', 'return 5 & 3', 'return 1 << 2', 'return ~5']) {
      expect(await evalError(script)).toMatch(/ERR Error compiling script \(new function\)/);
    }
    // The same characters inside strings and comments are fine.
    expect(await client().eval("-- a // b & c\nreturn 'x // y | z'", [], [])).toBe('x // y | z');
  });

  it('has unpack but no table.unpack, and refuses writes to globals', async () => {
    expect(await client().eval('return unpack({ARGV[1], ARGV[2]})', [], ['a', 'b'])).toBe('a');
    expect(await evalError('return table.unpack({1})')).toMatch(/attempt to call .*unpack/);
    expect(await evalError('leaked = 1 return 1')).toMatch(/Attempt to modify a readonly table/);
    expect(await client().eval('local ok = 1 return ok', [], [])).toBe(1);
  });

  it('prints whole numbers without a decimal point, as Lua 5.1 does', async () => {
    const raw = client({ automaticDeserialization: false });
    expect(await raw.eval('return tostring(6 / 2)', [], [])).toBe('3');
    expect(await raw.eval('return tostring(7 / 2)', [], [])).toBe('3.5');
  });
});

describe('local Redis: commands inside scripts (issue 14)', () => {
  it('runs redis.call through the checks of a direct command: not-integer, EXPIRE options, EX 0 and WRONGTYPE', async () => {
    const p = keyPrefix();
    const redis = client({ automaticDeserialization: false });
    await redis.set(`${p}text`, 'abc');
    await redis.set(`${p}ttl`, 'v', { ex: 100 });

    await expect(
      redis.eval("return redis.call('INCR', KEYS[1])", [`${p}text`], []),
    ).rejects.toThrow('ERR value is not an integer or out of range');
    expect(await redis.eval("return redis.pcall('INCR', KEYS[1]).err", [`${p}text`], [])).toBe(
      'ERR value is not an integer or out of range',
    );
    expect(await redis.get(`${p}text`)).toBe('abc');
    expect(
      await redis.eval(
        "return {redis.call('EXPIRE', KEYS[1], 500, 'NX'), redis.call('EXPIRE', KEYS[1], 50, 'GT'), redis.call('EXPIRE', KEYS[1], 500, 'GT'), redis.call('TTL', KEYS[1])}",
        [`${p}ttl`],
        [],
      ),
    ).toEqual([0, 0, 1, 500]);
    await expect(
      redis.eval("return redis.call('SET', KEYS[1], 'v', 'EX', 0)", [`${p}new`], []),
    ).rejects.toThrow("ERR invalid expire time in 'set' command");
    expect(await redis.exists(`${p}new`)).toBe(0);
    await expect(
      redis.eval("return redis.call('LPUSH', KEYS[1], 'x')", [`${p}text`], []),
    ).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
    await expect(redis.eval("return redis.call('EVAL', 'return 1', 0)", [], [])).rejects.toThrow(
      'This Redis command is not allowed from script',
    );
  });

  it('offers cjson and redis.sha1hex with the results Redis gives', async () => {
    const raw = client({ automaticDeserialization: false });
    const script = [
      'local decoded = cjson.decode(\'{"n":[1,2,3],"z":null}\')',
      "return {redis.sha1hex(''), redis.sha1hex('abc'), cjson.encode({1, 2, 'a/b'}),",
      '  cjson.encode({a = 1.5}), cjson.encode({}), decoded.n[3], tostring(decoded.z == cjson.null)}',
    ].join('\n');

    expect(await raw.eval(script, [], [])).toEqual([
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'a9993e364706816aba3e25717850c26c9cd0d89d',
      '[1,2,"a\\/b"]',
      '{"a":1.5}',
      '{}',
      3,
      'true',
    ]);
  });

  it('refuses, as Upstash does, a script flagged allow-key-locking that touches a key not in KEYS', async () => {
    const p = keyPrefix();
    const raw = client({ automaticDeserialization: false });
    const locking = (body: string) => `#!lua flags=allow-key-locking\n-- ${p}\n${body}`;

    await expect(
      raw.eval(locking("return redis.call('SET', ARGV[1], 'x')"), [`${p}declared`], [`${p}other`]),
    ).rejects.toThrow(`may only touch its KEYS, not: ${p}other`);
    expect(await raw.exists(`${p}other`)).toBe(0);
    expect(
      await raw.eval(
        locking("return redis.pcall('GET', ARGV[1]).err"),
        [`${p}declared`],
        [`${p}other`],
      ),
    ).toBe(`ERR a script flagged allow-key-locking may only touch its KEYS, not: ${p}other`);
    await expect(raw.eval(locking("return redis.call('KEYS', '*')"), [], [])).rejects.toThrow(
      'may not run keys, which needs the whole database',
    );
    expect(
      await raw.eval(locking("return redis.call('SET', KEYS[1], 'x')"), [`${p}declared`], []),
    ).toBe('OK');
    // Without the flag, Upstash takes the global lock and any key may be touched.
    expect(await raw.eval("return redis.call('SET', ARGV[1], 'x')", [], [`${p}other`])).toBe('OK');
  });
});

describe('local Redis: @upstash/ratelimit', () => {
  it('slidingWindow(5, "10 s") allows 5 requests with remaining counting down, then blocks the 6th until a future reset', async () => {
    await startOfWindow(10_000);
    const ratelimit = new Ratelimit({
      redis: client(),
      limiter: Ratelimit.slidingWindow(5, '10 s'),
      prefix: keyPrefix(),
    });

    const results = [];
    for (let index = 0; index < 6; index++) results.push(await ratelimit.limit('user'));
    expect(results.map(({ success }) => success)).toEqual([true, true, true, true, true, false]);
    expect(results.map(({ remaining }) => remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(results.every(({ limit }) => limit === 5)).toBe(true);
    expect(results[5]?.reset).toBeGreaterThan(Date.now());
  });

  it('fixedWindow(3, "10 s") allows 3 requests, then blocks until the end of the window', async () => {
    await startOfWindow(10_000);
    const ratelimit = new Ratelimit({
      redis: client(),
      limiter: Ratelimit.fixedWindow(3, '10 s'),
      prefix: keyPrefix(),
    });

    const results = [];
    for (let index = 0; index < 4; index++) results.push(await ratelimit.limit('user'));
    expect(results.map(({ success }) => success)).toEqual([true, true, true, false]);
    expect(results.map(({ remaining }) => remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.reset).toBe(Math.ceil(Date.now() / 10_000) * 10_000);
  });

  it('tokenBucket(1, "10 s", 3) spends the 3 tokens of the bucket, then blocks until the next refill', async () => {
    const ratelimit = new Ratelimit({
      redis: client(),
      limiter: Ratelimit.tokenBucket(1, '10 s', 3),
      prefix: keyPrefix(),
    });

    const results = [];
    for (let index = 0; index < 4; index++) results.push(await ratelimit.limit('user'));
    expect(results.map(({ success }) => success)).toEqual([true, true, true, false]);
    expect(results.map(({ remaining }) => remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.reset).toBeGreaterThan(Date.now());
  });

  it('costs at most 1 Redis request per check once the script is cached, and 0 for an identifier the ephemeral cache blocks', async () => {
    await startOfWindow(10_000);
    const tag = crypto.randomUUID();
    const ratelimit = new Ratelimit({
      redis: client({ tag }),
      limiter: Ratelimit.slidingWindow(2, '10 s'),
      prefix: keyPrefix(),
      ephemeralCache: new Map(),
    });
    const requestsFor = async (check: () => Promise<unknown>) => {
      const before = await stats(tag);
      await check();
      return (await stats(tag)).requests - before.requests;
    };

    // The first check on a Redis that never ran the script is EVALSHA (NOSCRIPT), then EVAL.
    expect(await requestsFor(() => ratelimit.limit('warm-up'))).toBeLessThanOrEqual(2);
    expect(await requestsFor(() => ratelimit.limit('user'))).toBe(1);
    expect(await requestsFor(() => ratelimit.limit('user'))).toBe(1);
    let blocked: Awaited<ReturnType<typeof ratelimit.limit>> | undefined;
    expect(
      await requestsFor(async () => {
        blocked = await ratelimit.limit('user');
      }),
    ).toBe(1);
    expect(blocked?.success).toBe(false);

    let cached: Awaited<ReturnType<typeof ratelimit.limit>> | undefined;
    expect(
      await requestsFor(async () => {
        cached = await ratelimit.limit('user');
      }),
    ).toBe(0);
    expect(cached).toMatchObject({ success: false, remaining: 0, reason: 'cacheBlock' });
  });
});
