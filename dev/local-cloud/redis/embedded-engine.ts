import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type RedisMockConstructor from 'ioredis-mock';
import type { MockCall } from './embedded-checks';
import { checkCommand, checkScriptCommand } from './embedded-checks';
import { runMockCommand } from './embedded-commands';
import { checkLua51Syntax, runScript } from './embedded-lua';
import type { CommandOutcome, RedisCommand, RedisEngine, RedisReply } from './engine';
import { EXECABORT, errorMessage } from './engine';
import { luaBody, NOSCRIPT, scriptSha, splitKeys } from './scripts';

type MockMethod = (...args: string[]) => unknown;

// Loaded with Node's resolution: bundlers (Vite, which runs the test setup) would pick the
// package's `browser` build, which needs `window`.
const RedisMock = createRequire(import.meta.url)('ioredis-mock') as typeof RedisMockConstructor;

/**
 * The in-memory engine: ioredis-mock behind Redis's validation, with Lua scripts cached by
 * SHA1 (ioredis-mock has no `SCRIPT`). Commands run one at a time, so a script, a pipeline
 * or a MULTI/EXEC is atomic as in Redis.
 *
 * @example
 * const engine = createEmbeddedEngine();
 * await engine.run(['SET', 'greeting', 'hello']); // { result: 'OK' }
 */
export function createEmbeddedEngine(): RedisEngine {
  // ioredis-mock shares data between instances with the same host and port: a unique host
  // gives each engine its own keyspace.
  const mock = new RedisMock({ host: `embedded-${randomUUID()}`, lazyConnect: true });
  const methods = mock as unknown as Record<string, MockMethod | undefined>;
  const call: MockCall = async (name, ...args) => {
    const method = methods[name];
    if (typeof method !== 'function') throw new TypeError(`Unsupported command: ${name}`);
    return method.apply(mock, args);
  };
  const scripts = new Map<string, string>();

  const evaluate = async (source: string, args: string[]): Promise<RedisReply> => {
    const { keys, argv } = splitKeys(args);
    const { body, flags } = luaBody(source);
    const sha = scriptSha(source);
    scripts.set(sha, source);
    const lockedKeys = flags.includes('allow-key-locking') ? new Set(keys) : undefined;
    return runScript({
      body,
      sha,
      keys,
      argv,
      run: ([name, ...rest]) => {
        checkScriptCommand(name, rest, lockedKeys);
        return runMockCommand(call, name, rest);
      },
    });
  };

  const script = async ([subcommand = '', ...args]: string[]): Promise<RedisReply> => {
    const name = subcommand.toLowerCase();
    const arity = { load: args.length === 1, exists: args.length >= 1, flush: args.length <= 1 };
    if (!(name in arity))
      throw new Error(`ERR unknown subcommand '${subcommand}'. Try SCRIPT HELP.`);
    if (!arity[name as keyof typeof arity]) {
      throw new Error(`ERR wrong number of arguments for 'script|${name}' command`);
    }
    if (name === 'exists') return args.map((sha) => (scripts.has(sha.toLowerCase()) ? 1 : 0));
    if (name === 'flush') {
      if (args[0] !== undefined && !/^(sync|async)$/i.test(args[0])) {
        throw new Error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      }
      scripts.clear();
      return 'OK';
    }
    const [source = ''] = args;
    checkLua51Syntax(luaBody(source).body);
    const sha = scriptSha(source);
    scripts.set(sha, source);
    return sha;
  };

  const execute = async ([name, ...args]: RedisCommand): Promise<RedisReply> => {
    const command = name.toLowerCase();
    if (command === 'eval' || command === 'eval_ro') {
      checkCommand(name, args);
      const [source = '', ...rest] = args;
      return evaluate(source, rest);
    }
    if (command === 'evalsha' || command === 'evalsha_ro') {
      checkCommand(name, args);
      const [sha = '', ...rest] = args;
      const source = scripts.get(sha.toLowerCase());
      if (source === undefined) throw new Error(NOSCRIPT);
      return evaluate(source, rest);
    }
    if (command === 'script') {
      checkCommand(name, args);
      return script(args);
    }
    return runMockCommand(call, name, args);
  };

  const settle = async (command: RedisCommand): Promise<CommandOutcome> => {
    try {
      return { result: await execute(command) };
    } catch (error) {
      return { error: errorMessage(error) };
    }
  };

  const sequence = async (commands: RedisCommand[]): Promise<CommandOutcome[]> => {
    const outcomes: CommandOutcome[] = [];
    for (const command of commands) outcomes.push(await settle(command));
    return outcomes;
  };

  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };

  const queueable = ([name, ...args]: RedisCommand): boolean => {
    try {
      checkCommand(name, args);
      return true;
    } catch {
      return false;
    }
  };

  return {
    run: (command) => exclusive(() => settle(command)),
    pipeline: (commands) => exclusive(() => sequence(commands)),
    multiExec: (commands) =>
      exclusive(async () =>
        commands.every(queueable) ? sequence(commands) : { error: EXECABORT },
      ),
    close: () =>
      exclusive(async () => {
        await mock.flushall();
        mock.disconnect();
      }),
  };
}
