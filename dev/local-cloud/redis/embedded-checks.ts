import { createRequire } from 'node:module';
import { unsupportedOverRest } from './engine';
import { DATABASE_WIDE, databaseWide, undeclaredKey } from './scripts';

/*
 * The checks Redis makes before running a command, which ioredis-mock skips: it answers
 * `null` (or corrupts the value) where Redis answers an error.
 */

/** Calls one of ioredis-mock's command methods (lower-case name). */
export type MockCall = (name: string, ...args: string[]) => Promise<unknown>;

interface CommandSpec {
  /** Redis arity: the exact argument count including the name, or its negated minimum. */
  arity: number;
  flags: string[];
  keyStart: number;
  keyStop: number;
  step: number;
}

// Redis's command table (arity and key positions) as ioredis ships it.
const COMMANDS = createRequire(import.meta.url)('@ioredis/commands/built/commands.json') as Record<
  string,
  CommandSpec | undefined
>;

/** The value types Redis keys hold that this engine checks. */
export type KeyType = 'string' | 'hash' | 'list' | 'set' | 'zset';

const STRING_COMMANDS = new Set([
  ...'get getdel getex getset append incr incrby decr decrby incrbyfloat strlen'.split(' '),
  ...'getrange setrange substr getbit setbit bitcount bitpos'.split(' '),
]);
const LIST_COMMANDS = new Set([
  ...'lindex linsert llen lmove lmpop lpop lpos lpush lpushx lrange lrem lset ltrim'.split(' '),
  ...'rpop rpoplpush rpush rpushx'.split(' '),
]);
const SET_COMMANDS = new Set([
  ...'sadd scard sdiff sdiffstore sinter sintercard sinterstore sismember smembers'.split(' '),
  ...'smismember smove spop srandmember srem sscan sunion sunionstore'.split(' '),
]);

/** The type of value a command works on, if it works on one type only. */
export function keyTypeOf(command: string): KeyType | undefined {
  if (STRING_COMMANDS.has(command)) return 'string';
  if (LIST_COMMANDS.has(command)) return 'list';
  if (SET_COMMANDS.has(command)) return 'set';
  if (command.startsWith('z')) return 'zset';
  if (command.startsWith('h') && command !== 'hello') return 'hash';
  return undefined;
}

/** Arguments that must come in pairs after the leading ones (`HSET key f v [f v ...]`). */
const PAIRED_FROM: Record<string, number> = { hset: 1, hmset: 1, mset: 0, msetnx: 0 };

/**
 * Throws the error Redis gives before running a command: unknown command, wrong number of
 * arguments, or a command this endpoint refuses. The same errors abort a MULTI.
 */
export function checkCommand(name: string, args: string[]): void {
  const command = name.toLowerCase();
  const spec = COMMANDS[command];
  if (!spec) {
    const start = args.map((arg) => `'${arg.slice(0, 128)}' `).join('');
    throw new Error(`ERR unknown command '${name}', with args beginning with: ${start}`);
  }
  const count = args.length + 1;
  const paired = PAIRED_FROM[command];
  if (
    (spec.arity > 0 && count !== spec.arity) ||
    (spec.arity < 0 && count < -spec.arity) ||
    (paired !== undefined && (args.length - paired) % 2 !== 0)
  ) {
    throw new Error(`ERR wrong number of arguments for '${command}' command`);
  }
  const refused = unsupportedOverRest(command);
  if (refused) throw new Error(refused);
}

/**
 * Throws what Redis (and Upstash, for a script flagged allow-key-locking, given its declared
 * keys) answers to a command a script may not call.
 */
export function checkScriptCommand(name: string, args: string[], declared?: Set<string>): void {
  const command = name.toLowerCase();
  if (COMMANDS[command]?.flags.includes('noscript')) {
    throw new Error('ERR This Redis command is not allowed from script');
  }
  if (!declared) return;
  if (DATABASE_WIDE.includes(command)) throw new Error(databaseWide(command));
  const undeclared = keysOf(command, args).find((key) => !declared.has(key));
  if (undeclared !== undefined) throw new Error(undeclaredKey(undeclared));
}

/** Whether Redis flags the command as writing. */
export function isWrite(command: string): boolean {
  return COMMANDS[command]?.flags.includes('write') ?? false;
}

/** The keys a command names, destination included. */
export function keysOf(command: string, args: string[]): string[] {
  const spec = COMMANDS[command];
  if (!spec || spec.keyStart <= 0) return [];
  const stop = spec.keyStop < 0 ? args.length + 1 + spec.keyStop : spec.keyStop;
  const keys: string[] = [];
  for (let position = spec.keyStart; position <= stop; position += spec.step) {
    const key = args[position - 1];
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
/** Redis's reply to an argument or value that should be a 64-bit integer. */
export const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR value is not a valid float';
/** Redis's reply to options it cannot parse. */
export const SYNTAX = 'ERR syntax error';
/** The range of Redis integers. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Throws WRONGTYPE when a key of the command holds another type than the command's. */
export async function checkTypes(call: MockCall, command: string, args: string[]): Promise<void> {
  const expected = keyTypeOf(command);
  if (!expected) return;
  const keys = keysOf(command, args);
  // A *STORE command overwrites its destination whatever it holds.
  for (const key of command.endsWith('store') ? keys.slice(1) : keys) {
    const actual = await call('type', key);
    if (actual !== 'none' && actual !== expected) throw new Error(WRONGTYPE);
  }
}

/** Parses a 64-bit integer as strictly as Redis (no sign `+`, no leading zeros or spaces). */
export function parseInteger(value: string | undefined, message = NOT_INTEGER): bigint {
  if (value === undefined || !/^(0|-?[1-9]\d*)$/.test(value)) throw new Error(message);
  const parsed = BigInt(value);
  if (parsed < INT64_MIN || parsed > INT64_MAX) throw new Error(message);
  return parsed;
}

/** Parses a finite float as Redis does for INCRBYFLOAT and scores. */
export function parseFloatArg(value: string | undefined, message = NOT_FLOAT): number {
  const parsed = value === undefined || value.trim() !== value ? Number.NaN : Number(value);
  if (!Number.isFinite(parsed) || value === '') throw new Error(message);
  return parsed;
}

/** A sorted-set score: a float, or `inf` / `+inf` / `-inf`. */
export function parseScore(value: string | undefined): number {
  if (/^[+-]?inf$/i.test(value ?? '')) return value?.startsWith('-') ? -Infinity : Infinity;
  return parseFloatArg(value);
}
