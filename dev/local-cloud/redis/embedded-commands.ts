import type { KeyType, MockCall } from './embedded-checks';
import {
  checkCommand,
  checkTypes,
  INT64_MAX,
  INT64_MIN,
  isWrite,
  keysOf,
  keyTypeOf,
  NOT_INTEGER,
  parseFloatArg,
  parseInteger,
  parseScore,
  SYNTAX,
} from './embedded-checks';
import type { RedisReply } from './engine';
import { toReply } from './engine';
import { globMatcher } from './glob';

/*
 * Commands whose ioredis-mock implementation answers differently from Redis: integer
 * validation and overflow, byte lengths, option keywords in lower case, KEEPTTL, EXPIRE
 * options, ZADD INCR / GT / LT, glob patterns (KEYS, *SCAN MATCH), SCAN TYPE, TOUCH, ZPOPMIN
 * scores; and collections left empty, which Redis deletes.
 */

/** Runs a write that makes ioredis-mock drop the key's TTL, then restores the TTL. */
async function keepingTtl<T>(call: MockCall, key: string, write: () => Promise<T>): Promise<T> {
  const ttl = Number(await call('pttl', key));
  const result = await write();
  if (ttl > 0) await call('pexpire', key, String(ttl));
  return result;
}

/** Positions of keywords ioredis-mock only recognises in upper case (`LINSERT k before p e`). */
const KEYWORD_POSITIONS: Record<string, number[]> = { linsert: [1], lmove: [2, 3] };

async function increment(
  read: () => Promise<unknown>,
  write: (value: string) => Promise<unknown>,
  by: bigint,
  notInteger: string,
): Promise<number> {
  const current = await read();
  const value = typeof current === 'string' ? parseInteger(current, notInteger) : 0n;
  const next = value + by;
  if (next < INT64_MIN || next > INT64_MAX) {
    throw new Error('ERR increment or decrement would overflow');
  }
  await write(next.toString());
  return Number(next);
}

function incrementKey(call: MockCall, key: string, by: bigint): Promise<number> {
  return keepingTtl(call, key, () =>
    increment(
      () => call('get', key),
      (value) => call('set', key, value),
      by,
      NOT_INTEGER,
    ),
  );
}

async function set(call: MockCall, args: string[]): Promise<unknown> {
  const [key = '', value = '', ...options] = args;
  const seen = new Set<string>();
  const normalized: string[] = [];
  for (let index = 0; index < options.length; index++) {
    const option = options[index]?.toUpperCase() ?? '';
    normalized.push(option);
    if (['EX', 'PX', 'EXAT', 'PXAT'].includes(option)) {
      if (seen.has('EXPIRY')) throw new Error(SYNTAX);
      seen.add('EXPIRY');
      const time = options[++index];
      if (time === undefined) throw new Error(SYNTAX);
      if (parseInteger(time) <= 0n) throw new Error("ERR invalid expire time in 'set' command");
      normalized.push(time);
    } else if (['NX', 'XX', 'GET', 'KEEPTTL'].includes(option)) {
      seen.add(option);
    } else {
      throw new Error(SYNTAX);
    }
  }
  if ((seen.has('NX') && seen.has('XX')) || (seen.has('KEEPTTL') && seen.has('EXPIRY'))) {
    throw new Error(SYNTAX);
  }
  if (seen.has('GET')) await checkTypes(call, 'get', [key]);
  if (!seen.has('KEEPTTL')) return call('set', key, value, ...normalized);
  const withoutKeepTtl = normalized.filter((option) => option !== 'KEEPTTL');
  return keepingTtl(call, key, () => call('set', key, value, ...withoutKeepTtl));
}

async function setWithExpiry(call: MockCall, command: string, args: string[]): Promise<unknown> {
  if (parseInteger(args[1]) <= 0n) {
    throw new Error(`ERR invalid expire time in '${command}' command`);
  }
  return call(command, ...args);
}

/** EXPIRE and friends, including Redis 7's NX / XX / GT / LT, which ioredis-mock ignores. */
async function expire(call: MockCall, command: string, args: string[]): Promise<unknown> {
  const [key = '', time, ...flags] = args;
  const amount = Number(parseInteger(time));
  const options = new Set(flags.map((flag) => flag.toUpperCase()));
  for (const option of options) {
    if (!['NX', 'XX', 'GT', 'LT'].includes(option)) {
      throw new Error(`ERR Unsupported option ${option}`);
    }
  }
  if (options.has('NX') && options.size > 1) {
    throw new Error('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (options.has('GT') && options.has('LT')) {
    throw new Error('ERR GT and LT options at the same time are not compatible');
  }
  if (options.size > 0) {
    const ttl = Number(await call('pttl', key));
    if (ttl === -2) return 0;
    const now = Date.now();
    const current = ttl === -1 ? undefined : now + ttl;
    const requested = {
      expire: now + amount * 1000,
      pexpire: now + amount,
      expireat: amount * 1000,
      pexpireat: amount,
    }[command];
    const allowed =
      requested !== undefined &&
      !(options.has('NX') && current !== undefined) &&
      !(options.has('XX') && current === undefined) &&
      !(options.has('GT') && (current === undefined || requested <= current)) &&
      !(options.has('LT') && current !== undefined && requested >= current);
    if (!allowed) return 0;
  }
  return call(command, key, String(amount));
}

/** ZADD's INCR, GT and LT, which ioredis-mock ignores; NX, XX and CH it handles. */
async function zadd(call: MockCall, args: string[]): Promise<unknown> {
  const [key = '', ...rest] = args;
  const flags = new Set<string>();
  while (rest.length > 0 && /^(NX|XX|GT|LT|CH|INCR)$/i.test(rest[0] ?? '')) {
    flags.add(rest.shift()?.toUpperCase() ?? '');
  }
  if (rest.length === 0 || rest.length % 2 !== 0) throw new Error(SYNTAX);
  if (flags.has('NX') && flags.has('XX')) {
    throw new Error('ERR XX and NX options at the same time are not compatible');
  }
  if ([...flags].filter((flag) => ['NX', 'GT', 'LT'].includes(flag)).length > 1) {
    throw new Error('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  const pairs: [score: number, member: string][] = [];
  for (let index = 0; index < rest.length; index += 2) {
    pairs.push([parseScore(rest[index]), rest[index + 1] ?? '']);
  }
  const [first] = pairs;
  if (flags.has('INCR')) {
    if (pairs.length !== 1 || !first) {
      throw new Error('ERR INCR option supports a single increment-element pair');
    }
    const [by, member] = first;
    const old = await call('zscore', key, member);
    if ((flags.has('NX') && old !== null) || (flags.has('XX') && old === null)) return null;
    const next = Number(old ?? 0) + by;
    if (old !== null && flags.has('GT') && next <= Number(old)) return null;
    if (old !== null && flags.has('LT') && next >= Number(old)) return null;
    return call('zincrby', key, rest[0] ?? '', member);
  }
  if (!flags.has('GT') && !flags.has('LT')) return call('zadd', key, ...flags, ...rest);
  const kept: string[] = [];
  for (const [index, [score, member]] of pairs.entries()) {
    const old = await call('zscore', key, member);
    if (old !== null && flags.has('GT') && score <= Number(old)) continue;
    if (old !== null && flags.has('LT') && score >= Number(old)) continue;
    kept.push(rest[index * 2] ?? '', member);
  }
  if (kept.length === 0) return 0;
  const passed = [...flags].filter((flag) => flag === 'XX' || flag === 'CH');
  return call('zadd', key, ...passed, ...kept);
}

/** Where each open SCAN cursor stands: the last key it returned (oldest cursors forgotten). */
const scanCursors = new Map<string, string>();
let lastCursor = 0;
const MAX_OPEN_CURSORS = 10_000;

/**
 * SCAN over the keyspace with Redis's guarantee, which ioredis-mock's index cursor lacks: a key
 * present from the first call to the last is returned (at least) once, however many keys others
 * add or delete meanwhile. Keys are walked in sorted order, and a cursor remembers the last key
 * it returned.
 */
async function scanKeyspace(call: MockCall, cursor: string, count: number) {
  const after = cursor === '0' ? undefined : scanCursors.get(cursor);
  if (cursor !== '0' && after === undefined) return ['0', []] as [string, string[]];
  scanCursors.delete(cursor);
  const keys = ((await call('keys', '*')) as string[])
    .filter((key) => after === undefined || key > after)
    .sort();
  const batch = keys.slice(0, count);
  const last = batch.at(-1);
  if (batch.length === keys.length || last === undefined) return ['0', batch] as [string, string[]];
  const next = String(++lastCursor);
  scanCursors.set(next, last);
  if (scanCursors.size > MAX_OPEN_CURSORS) {
    const oldest = scanCursors.keys().next().value;
    if (oldest !== undefined) scanCursors.delete(oldest);
  }
  return [next, batch] as [string, string[]];
}

/**
 * The `*SCAN` family with Redis's pattern rules ({@link globMatcher}) and, for SCAN, Redis 6's
 * TYPE filter, which ioredis-mock rejects. ioredis-mock picks COUNT elements and this filters
 * them, as Redis does: a step may return fewer than COUNT, or none, before the cursor ends.
 * `size` is how many reply items one element takes (2 for HSCAN's field and value).
 */
async function scanWithMatch(
  call: MockCall,
  command: 'scan' | 'sscan' | 'hscan' | 'zscan',
  args: string[],
): Promise<unknown> {
  const [key, rest] = command === 'scan' ? [undefined, args] : [args[0] ?? '', args.slice(1)];
  const [cursor = '', ...options] = rest;
  const passed: string[] = [];
  let type: string | undefined;
  let matches: ((text: string) => boolean) | undefined;
  for (let index = 0; index < options.length; index += 2) {
    const option = options[index]?.toUpperCase();
    const value = options[index + 1];
    const allowed = command === 'scan' ? ['MATCH', 'COUNT', 'TYPE'] : ['MATCH', 'COUNT'];
    if (value === undefined || !allowed.includes(option ?? '')) throw new Error(SYNTAX);
    if (option === 'COUNT' && parseInteger(value) < 1n) throw new Error(SYNTAX);
    if (option === 'TYPE') type = value.toLowerCase();
    else if (option === 'MATCH') matches = globMatcher(value);
    else passed.push('COUNT', value);
  }
  parseInteger(cursor, 'ERR invalid cursor');
  const target = key === undefined ? [] : [key];
  const [next, items] =
    command === 'scan'
      ? await scanKeyspace(call, cursor, Number(passed[1] ?? 10))
      : ((await call(command, ...target, cursor, ...passed)) as [string, string[]]);
  const size = command === 'hscan' || command === 'zscan' ? 2 : 1;
  const kept: string[] = [];
  for (let index = 0; index < items.length; index += size) {
    const element = items[index] ?? '';
    if (matches && !matches(element)) continue;
    if (type !== undefined && (await call('type', element)) !== type) continue;
    kept.push(...items.slice(index, index + size));
  }
  return [next, kept];
}

type Override = (call: MockCall, args: string[], command: string) => Promise<unknown>;

const OVERRIDES: Record<string, Override> = {
  incr: (call, [key = '']) => incrementKey(call, key, 1n),
  decr: (call, [key = '']) => incrementKey(call, key, -1n),
  incrby: (call, [key = '', by]) => incrementKey(call, key, parseInteger(by)),
  decrby: (call, [key = '', by]) => incrementKey(call, key, -parseInteger(by)),
  incrbyfloat: async (call, [key = '', by]) => {
    parseFloatArg(by);
    const current = await call('get', key);
    if (typeof current === 'string') parseFloatArg(current);
    return call('incrbyfloat', key, by ?? '');
  },
  hincrby: (call, [key = '', field = '', by]) =>
    increment(
      () => call('hget', key, field),
      (value) => call('hset', key, field, value),
      parseInteger(by),
      'ERR hash value is not an integer',
    ),
  hincrbyfloat: async (call, [key = '', field = '', by]) => {
    parseFloatArg(by);
    const current = await call('hget', key, field);
    if (typeof current === 'string') parseFloatArg(current, 'ERR hash value is not a float');
    return call('hincrbyfloat', key, field, by ?? '');
  },
  set: (call, args) => set(call, args),
  setex: (call, args, command) => setWithExpiry(call, command, args),
  psetex: (call, args, command) => setWithExpiry(call, command, args),
  expire: (call, args, command) => expire(call, command, args),
  pexpire: (call, args, command) => expire(call, command, args),
  expireat: (call, args, command) => expire(call, command, args),
  pexpireat: (call, args, command) => expire(call, command, args),
  strlen: async (call, [key = '']) => Buffer.byteLength(String((await call('get', key)) ?? '')),
  append: async (call, [key = '', value = '']) => {
    await call('append', key, value);
    return Buffer.byteLength(String(await call('get', key)));
  },
  zadd: (call, args) => zadd(call, args),
  scan: (call, args) => scanWithMatch(call, 'scan', args),
  sscan: (call, args) => scanWithMatch(call, 'sscan', args),
  hscan: (call, args) => scanWithMatch(call, 'hscan', args),
  zscan: (call, args) => scanWithMatch(call, 'zscan', args),
  keys: async (call, [pattern = '']) => {
    const matches = globMatcher(pattern);
    return ((await call('keys', '*')) as string[]).filter(matches);
  },
  touch: (call, keys) => call('exists', ...keys),
  getrange: async (call, [key = '', start, end]) => {
    const bytes = Buffer.from(String((await call('get', key)) ?? ''));
    const from = Number(parseInteger(start));
    const to = Number(parseInteger(end));
    const first = Math.max(0, from < 0 ? bytes.length + from : from);
    const last = Math.min(bytes.length - 1, Math.max(0, to < 0 ? bytes.length + to : to));
    return first > last ? '' : bytes.subarray(first, last + 1).toString('utf8');
  },
  zpopmin: async (call, args, command) => ((await call(command, ...args)) as unknown[]).map(String),
  zpopmax: async (call, args, command) => ((await call(command, ...args)) as unknown[]).map(String),
};

const CARDINALITY: Record<KeyType, string | undefined> = {
  string: undefined,
  hash: 'hlen',
  list: 'llen',
  set: 'scard',
  zset: 'zcard',
};

/** Deletes the collections a write left empty: Redis never keeps an empty one. */
async function dropEmpty(call: MockCall, command: string, args: string[]): Promise<void> {
  if (!isWrite(command) || keyTypeOf(command) === undefined) return;
  for (const key of keysOf(command, args)) {
    const counter = CARDINALITY[(await call('type', key)) as KeyType];
    if (counter && Number(await call(counter, key)) === 0) await call('del', key);
  }
}

/**
 * Runs a (non-script) command on ioredis-mock with Redis's validation and reply shapes.
 * Throws an `Error` whose message is Redis's error reply.
 */
export async function runMockCommand(
  call: MockCall,
  name: string,
  args: string[],
): Promise<RedisReply> {
  checkCommand(name, args);
  const command = name.toLowerCase();
  await checkTypes(call, command, args);
  const override = OVERRIDES[command];
  const keywords = KEYWORD_POSITIONS[command] ?? [];
  const passed = args.map((arg, index) => (keywords.includes(index) ? arg.toUpperCase() : arg));
  try {
    const reply = await (override ? override(call, passed, command) : call(command, ...passed));
    await dropEmpty(call, command, passed);
    return toReply(reply);
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('Unsupported command')) {
      throw new Error(
        `ERR '${command}' is not supported by the embedded Redis of the local cloud; configure a real Redis URL to use it`,
      );
    }
    throw error;
  }
}
