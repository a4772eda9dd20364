import { createHash } from 'node:crypto';

/** Script flags Redis 7 knows in an EVAL shebang (`#!lua flags=no-writes,allow-oom`). */
const REDIS_FLAGS = new Set([
  'no-writes',
  'allow-oom',
  'allow-stale',
  'no-cluster',
  'allow-cross-slot-keys',
]);

/**
 * Flags only Upstash understands. `@upstash/ratelimit` 2.2 starts its scripts with
 * `#!lua flags=allow-key-locking`, which open-source Redis rejects
 * (`ERR Unexpected flag in script shebang`).
 */
const KEY_LOCKING = 'allow-key-locking';
const UPSTASH_FLAGS = new Set([KEY_LOCKING]);

/** The SHA1 Redis names a script by (`EVALSHA`, `SCRIPT LOAD`). */
export function scriptSha(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}

interface Shebang {
  /** Everything after the shebang line, starting with its line break. */
  rest: string;
  flags: string[];
}

/** Reads the shebang as Redis 7 does; throws Redis's error when it is malformed. */
function readShebang(source: string): Shebang | undefined {
  if (!source.startsWith('#!')) return undefined;
  const end = source.indexOf('\n');
  const line = end === -1 ? source : source.slice(0, end);
  const [engine, ...options] = line.split(' ').filter((part) => part !== '');
  if (engine !== '#!lua') throw new Error(`ERR Unexpected engine in script shebang: ${line}`);
  const flags: string[] = [];
  for (const option of options) {
    if (!option.startsWith('flags=')) throw new Error(`ERR Unknown lua shebang option: ${option}`);
    flags.push(
      ...option
        .slice('flags='.length)
        .split(',')
        .filter((flag) => flag !== ''),
    );
  }
  return { rest: end === -1 ? '' : source.slice(end), flags };
}

/*
 * Upstash's key-locking check, on one line so the script's own line numbers hold: a local
 * `redis` whose `call` / `pcall` first ask Redis which keys the command names
 * (`COMMAND GETKEYS`) and refuse those not in KEYS, as the embedded engine does.
 */
function keyCheck(): string {
  const wide = DATABASE_WIDE.map((command) => `${command}=true`).join(',');
  return [
    'local redis = (function(r) local declared = {} for _, k in ipairs(KEYS) do declared[k] = true end',
    `local wide = {${wide}}`,
    'local function check(...) local name = string.lower(tostring((...)))',
    `if wide[name] then error({err = ${JSON.stringify(DATABASE_WIDE_PREFIX)} .. name .. ${JSON.stringify(DATABASE_WIDE_SUFFIX)}}) end`,
    "local keys = r.pcall('COMMAND', 'GETKEYS', ...)",
    "if type(keys) == 'table' and keys.err == nil then for _, k in ipairs(keys) do",
    `if not declared[k] then error({err = ${JSON.stringify(UNDECLARED_KEY)} .. k}) end end end end`,
    'return setmetatable({ call = function(...) check(...) return r.call(...) end,',
    "pcall = function(...) local ok, e = pcall(check, ...) if not ok then return { err = type(e) == 'table' and e.err or tostring(e) } end",
    'return r.pcall(...) end },',
    '{ __index = r }) end)(redis) ',
  ].join(' ');
}

/**
 * The script as open-source Redis accepts it: Upstash-only shebang flags are dropped, so
 * `@upstash/ratelimit` runs against a real Redis, and a script flagged allow-key-locking gets
 * Upstash's check of the keys it touches. Anything else is left for Redis to judge.
 */
export function withoutUpstashFlags(source: string): string {
  let shebang: Shebang | undefined;
  try {
    shebang = readShebang(source);
  } catch {
    return source;
  }
  if (!shebang?.flags.some((flag) => UPSTASH_FLAGS.has(flag))) return source;
  const flags = shebang.flags.filter((flag) => !UPSTASH_FLAGS.has(flag));
  const check = shebang.flags.includes(KEY_LOCKING) ? keyCheck() : '';
  const [lineBreak, rest] = shebang.rest.startsWith('\n')
    ? ['\n', shebang.rest.slice(1)]
    : ['', shebang.rest];
  return `#!lua${flags.length > 0 ? ` flags=${flags.join(',')}` : ''}${lineBreak || '\n'}${check}${rest}`;
}

/**
 * Checks the shebang like Upstash does (Redis's flags plus Upstash's) and returns the Lua
 * body with the shebang line emptied, so line numbers in errors stay those of the source.
 */
export function luaBody(source: string): { body: string; flags: string[] } {
  const shebang = readShebang(source);
  if (!shebang) return { body: source, flags: [] };
  const unknown = shebang.flags.find((flag) => !REDIS_FLAGS.has(flag) && !UPSTASH_FLAGS.has(flag));
  if (unknown) throw new Error(`ERR Unexpected flag in script shebang: ${unknown}`);
  return { body: shebang.rest, flags: shebang.flags };
}

/** Commands that reach the whole database, refused in a script flagged allow-key-locking. */
export const DATABASE_WIDE = ['flushdb', 'flushall', 'keys', 'scan', 'randomkey'];

const UNDECLARED_KEY = `ERR a script flagged ${KEY_LOCKING} may only touch its KEYS, not: `;
const DATABASE_WIDE_PREFIX = `ERR a script flagged ${KEY_LOCKING} may not run `;
const DATABASE_WIDE_SUFFIX = ', which needs the whole database';

/** The refusal of a key a script flagged allow-key-locking did not declare. */
export function undeclaredKey(key: string): string {
  return `${UNDECLARED_KEY}${key}`;
}

/** The refusal of a database-wide command in a script flagged allow-key-locking. */
export function databaseWide(command: string): string {
  return `${DATABASE_WIDE_PREFIX}${command}${DATABASE_WIDE_SUFFIX}`;
}

/** Redis's answer to `EVALSHA` of a script it does not have. */
export const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/** Splits `EVAL`'s arguments after the script: `numkeys key... arg...`, validated like Redis. */
export function splitKeys(args: string[]): { keys: string[]; argv: string[] } {
  const [count = '', ...rest] = args;
  if (!/^-?\d+$/.test(count)) throw new Error('ERR value is not an integer or out of range');
  const numkeys = Number(count);
  if (numkeys < 0) throw new Error("ERR Number of keys can't be negative");
  if (numkeys > rest.length) {
    throw new Error("ERR Number of keys can't be greater than number of args");
  }
  return { keys: rest.slice(0, numkeys), argv: rest.slice(numkeys) };
}
