import { Redis } from 'ioredis';
import type { CommandOutcome, RedisCommand, RedisEngine, RedisReply } from './engine';
import { EXECABORT, errorMessage, toReply, unsupportedOverRest } from './engine';
import { scriptSha, withoutUpstashFlags } from './scripts';

type Reshape = (reply: RedisReply) => RedisReply;

/** How one command of a batch is handled: refused here, or sent (adapted) to Redis. */
interface Plan {
  refused?: string;
  sent?: [RedisCommand, Reshape];
}

const same: Reshape = (reply) => reply;

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/**
 * Serves a real Redis through one ioredis connection. Scripts carrying Upstash-only shebang
 * flags are sent without them; since that changes their SHA1, the SHA the client computed is
 * mapped to the one Redis knows, so `EVALSHA` keeps working after the first `EVAL`.
 *
 * @example
 * const engine = await connectRedisEngine('redis://127.0.0.1:6379');
 * await engine.run(['PING']); // { result: 'PONG' }
 */
export async function connectRedisEngine(url: string): Promise<RedisEngine> {
  let lastError: Error | undefined;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const cause = lastError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`Cannot connect to Redis at ${redacted(url)}: ${reason}`, { cause });
  }

  /** Client-side SHA1 of a script → the script as sent to Redis, for adapted scripts only. */
  const adaptedScripts = new Map<string, string>();

  const adaptSource = (source: string): string => {
    const redisSource = withoutUpstashFlags(source);
    if (redisSource !== source) adaptedScripts.set(scriptSha(source), redisSource);
    return redisSource;
  };
  const adaptSha = (sha: string): string => {
    const redisSource = adaptedScripts.get(sha.toLowerCase());
    return redisSource === undefined ? sha : scriptSha(redisSource);
  };

  const adapt = (command: RedisCommand): [RedisCommand, Reshape] => {
    const [name, first = '', ...rest] = command;
    switch (name.toLowerCase()) {
      case 'eval':
      case 'eval_ro':
        return [[name, adaptSource(first), ...rest], same];
      case 'evalsha':
      case 'evalsha_ro':
        return [[name, adaptSha(first), ...rest], same];
      case 'script': {
        const subcommand = first.toLowerCase();
        if (subcommand === 'load' && rest[0] !== undefined) {
          const clientSha = scriptSha(rest[0]);
          return [[name, first, adaptSource(rest[0])], () => clientSha];
        }
        if (subcommand === 'exists') return [[name, first, ...rest.map(adaptSha)], same];
        if (subcommand === 'flush') adaptedScripts.clear();
        return [command, same];
      }
      default:
        return [command, same];
    }
  };

  const run = async (command: RedisCommand): Promise<CommandOutcome> => {
    const refused = unsupportedOverRest(command[0]);
    if (refused) return { error: refused };
    const [[name, ...args], reshape] = adapt(command);
    try {
      return { result: reshape(toReply(await redis.call(name, ...args))) };
    } catch (error) {
      return { error: errorMessage(error) };
    }
  };

  const batch = async (
    commands: RedisCommand[],
    transaction: boolean,
  ): Promise<CommandOutcome[] | { error: string }> => {
    const plans = commands.map((command): Plan => {
      const refused = unsupportedOverRest(command[0]);
      return refused ? { refused } : { sent: adapt(command) };
    });
    if (transaction && plans.some((plan) => plan.refused)) return { error: EXECABORT };
    const chain = transaction ? redis.multi() : redis.pipeline();
    for (const { sent } of plans) if (sent) chain.call(...sent[0]);
    let replies: [error: Error | null, result: unknown][] | null;
    try {
      replies = await chain.exec();
    } catch (error) {
      return { error: errorMessage(error) };
    }
    if (!replies) return { error: EXECABORT };
    let next = 0;
    return plans.map(({ refused, sent }): CommandOutcome => {
      if (!sent) return { error: refused ?? EXECABORT };
      const [error, result] = replies[next++] ?? [null, null];
      return error ? { error: errorMessage(error) } : { result: sent[1](toReply(result)) };
    });
  };

  return {
    run,
    pipeline: async (commands) => {
      const outcomes = await batch(commands, false);
      return Array.isArray(outcomes) ? outcomes : commands.map(() => outcomes);
    },
    multiExec: (commands) => batch(commands, true),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
