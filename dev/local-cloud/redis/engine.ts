/** A Redis reply as the Upstash REST API carries it in JSON. */
export type RedisReply = string | number | null | RedisReply[];

/** One command's outcome: the `{result}` / `{error}` objects of the REST API. */
export type CommandOutcome = { result: RedisReply } | { error: string };

/** A command as Redis receives it: the name, then every argument as a string. */
export type RedisCommand = [name: string, ...args: string[]];

/**
 * What the REST endpoint runs commands on: the embedded in-memory engine or a real Redis.
 * Every method settles with outcomes; Redis errors are never thrown.
 */
export interface RedisEngine {
  /** Runs one command. */
  run(command: RedisCommand): Promise<CommandOutcome>;
  /** Runs the commands in order; other clients' commands may interleave. */
  pipeline(commands: RedisCommand[]): Promise<CommandOutcome[]>;
  /**
   * Runs the commands as one MULTI/EXEC transaction. A command Redis rejects while queueing
   * (unknown, wrong arity) discards the whole transaction: the result is then a single error.
   */
  multiExec(commands: RedisCommand[]): Promise<CommandOutcome[] | { error: string }>;
  close(): Promise<void>;
}

/** The error Redis answers when a transaction had a command rejected while queueing. */
export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

const CONNECTION_COMMANDS = new Set([
  'auth',
  'hello',
  'select',
  'quit',
  'reset',
  'client',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'monitor',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
]);

const BLOCKING_COMMANDS = new Set([
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'wait',
  'waitaof',
]);

/**
 * Why a command cannot run over this endpoint, if it cannot: both engines share one
 * connection (or one keyspace) between all requests, so connection state and blocking
 * commands would leak from one request into the others.
 */
export function unsupportedOverRest(name: string): string | undefined {
  const command = name.toLowerCase();
  if (command === 'multi' || command === 'exec') {
    return `ERR '${command}' is not supported over REST: POST the commands to /multi-exec`;
  }
  if (CONNECTION_COMMANDS.has(command)) {
    return `ERR '${command}' is not supported over REST: every request is independent`;
  }
  if (BLOCKING_COMMANDS.has(command)) {
    return `ERR '${command}' is not supported by the local cloud: it would block every other request`;
  }
  return undefined;
}

/** The message of anything thrown, as Redis would word an error. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^[A-Z]+ /.test(message) ? message : `ERR ${message}`;
}

/**
 * A reply from ioredis or ioredis-mock as JSON carries it: byte strings as UTF-8 text, errors
 * nested in an array as their message, and the object ioredis-mock makes of HGETALL's reply
 * flattened back into Redis's field/value array.
 */
export function toReply(value: unknown): RedisReply {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value instanceof Error) return value.message;
  if (Array.isArray(value)) return value.map(toReply);
  if (value !== null && typeof value === 'object') return Object.entries(value).flat().map(toReply);
  return null;
}
