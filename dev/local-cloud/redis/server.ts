import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { pathTag, splitTag, withFaults } from '../faults';
import { type Listening, listenOnLoopback } from '../http';
import type { RunningService } from '../service';
import { createEmbeddedEngine } from './embedded-engine';
import type { CommandOutcome, RedisCommand, RedisEngine, RedisReply } from './engine';
import { connectRedisEngine } from './redis-engine';

/** Options of {@link startRedis}. */
export interface RedisServiceOptions {
  /** Loopback port; `0` picks a free one. */
  port: number;
  /** The bearer token clients must send (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /** A real Redis to serve instead of the embedded in-memory engine. */
  redisUrl?: string;
  /** A loopback address to listen on; defaults to `127.0.0.1`. */
  host?: string;
}

/** Requests and commands the endpoint received. */
interface RedisStats {
  /** HTTP requests that passed authentication; a pipeline or transaction is one. */
  requests: number;
  /** Commands in those requests. */
  commands: number;
}

type RedisAppEnv = { Variables: { tag: string | undefined } };

function createStats() {
  const total: RedisStats = { requests: 0, commands: 0 };
  const byTag = new Map<string, RedisStats>();
  const countersOf = (tag: string | undefined): RedisStats[] => {
    if (tag === undefined) return [total];
    const tagged = byTag.get(tag) ?? { requests: 0, commands: 0 };
    byTag.set(tag, tagged);
    return [total, tagged];
  };
  return {
    request(tag: string | undefined): void {
      for (const counters of countersOf(tag)) counters.requests++;
    },
    commands(tag: string | undefined, count: number): void {
      for (const counters of countersOf(tag)) counters.commands += count;
    },
    read(tag: string | undefined): RedisStats {
      return { ...(tag === undefined ? total : (byTag.get(tag) ?? { requests: 0, commands: 0 })) };
    },
  };
}

/** With `Upstash-Encoding: base64` every string is base64 (UTF-8) except the status `OK`. */
function encode(reply: RedisReply, base64: boolean): RedisReply {
  if (!base64) return reply;
  if (typeof reply === 'string') {
    return reply === 'OK' ? reply : Buffer.from(reply, 'utf8').toString('base64');
  }
  return Array.isArray(reply) ? reply.map((item) => encode(item, base64)) : reply;
}

function encodeOutcome(outcome: CommandOutcome, base64: boolean): CommandOutcome {
  return 'error' in outcome ? outcome : { result: encode(outcome.result, base64) };
}

class BadRequest extends Error {}

function toCommand(value: unknown): RedisCommand {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequest('ERR a command must be a non-empty JSON array of strings');
  }
  const args = value.map((arg: unknown) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new BadRequest(`ERR command arguments must be strings or numbers, got ${typeof arg}`);
  });
  return args as RedisCommand;
}

async function readJson(c: Context<RedisAppEnv>): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new BadRequest('ERR the request body is not valid JSON');
  }
}

async function readCommands(c: Context<RedisAppEnv>): Promise<RedisCommand[]> {
  const body = await readJson(c);
  if (!Array.isArray(body)) throw new BadRequest('ERR the body must be a JSON array of commands');
  return body.map(toCommand);
}

/** `GET /set/k/v?EX=10` or `POST /set/k` with the value as body, as Upstash accepts. */
async function pathCommand(c: Context<RedisAppEnv>): Promise<RedisCommand> {
  const segments = c.req.path.split('/').filter((segment) => segment !== '');
  const args = segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new BadRequest(`ERR malformed path segment '${segment}'`);
    }
  });
  if (c.req.method === 'POST') {
    const body = await c.req.text();
    if (body !== '') args.push(body);
  }
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (name === '_token') continue;
    args.push(name);
    if (value !== '') args.push(value);
  }
  return toCommand(args);
}

function sameToken(given: string, expected: string): boolean {
  // Digests have equal lengths, so the comparison's time reveals neither content nor length.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The Upstash REST API over an engine, with request counters for tests and benchmarks. */
function createRedisApp(engine: RedisEngine, token: string) {
  const stats = createStats();
  const app = new Hono<RedisAppEnv>({
    getPath: (request) => splitTag(new URL(request.url).pathname).path,
  });

  app.onError((error, c) => {
    if (error instanceof BadRequest) return c.json({ error: error.message }, 400);
    return c.json({ error: `ERR local cloud: ${error.message}` }, 500);
  });

  app.get('/__local/stats', (c) => c.json(stats.read(c.req.query('tag'))));

  app.use('*', async (c, next) => {
    const bearer = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const given = bearer ?? c.req.query('_token');
    if (given === undefined || !sameToken(given, token)) {
      return c.json({ error: 'Unauthorized' }, 401);
    }
    const format = c.req.header('upstash-response-format');
    if (format !== undefined && format.toLowerCase() !== 'json') {
      return c.json({ error: `ERR Upstash-Response-Format '${format}' is not supported` }, 400);
    }
    const tag = splitTag(new URL(c.req.url).pathname).tag;
    c.set('tag', tag);
    stats.request(tag);
    await next();
  });

  const base64 = (c: Context<RedisAppEnv>) =>
    c.req.header('upstash-encoding')?.toLowerCase() === 'base64';

  const single = async (c: Context<RedisAppEnv>, command: RedisCommand) => {
    stats.commands(c.var.tag, 1);
    const outcome = await engine.run(command);
    if ('error' in outcome) return c.json(outcome, 400);
    return c.json(encodeOutcome(outcome, base64(c)));
  };

  app.post('/', async (c) => single(c, toCommand(await readJson(c))));

  app.post('/pipeline', async (c) => {
    const commands = await readCommands(c);
    stats.commands(c.var.tag, commands.length);
    const outcomes = await engine.pipeline(commands);
    return c.json(outcomes.map((outcome) => encodeOutcome(outcome, base64(c))));
  });

  app.post('/multi-exec', async (c) => {
    const commands = await readCommands(c);
    stats.commands(c.var.tag, commands.length);
    const outcomes = await engine.multiExec(commands);
    if (!Array.isArray(outcomes)) return c.json(outcomes, 400);
    return c.json(outcomes.map((outcome) => encodeOutcome(outcome, base64(c))));
  });

  app.on(['GET', 'POST'], '/*', async (c) => single(c, await pathCommand(c)));

  return app;
}

/**
 * Starts the local cloud's Redis: the Upstash REST API (`POST /` one command, `/pipeline`,
 * `/multi-exec`, the `GET /cmd/arg` path form) on loopback, served by an in-memory engine
 * with Lua scripting, or by a real Redis when `redisUrl` is set.
 *
 * A path prefix `/__tag/<tag>` is stripped before routing and counts the request under that
 * tag; `GET /__local/stats[?tag=<tag>]` returns `{ requests, commands }` without a token, and
 * `/__local/faults` plays faults on demand (see `withFaults`) for all requests or one tag.
 *
 * @example
 * const redis = await startRedis({ port: 0, token: 'local-redis-token' });
 * const client = new Redis({ url: redis.url, token: 'local-redis-token' }); // @upstash/redis
 * await client.set('greeting', 'hello');
 * await redis.close();
 */
export async function startRedis(options: RedisServiceOptions): Promise<RunningService> {
  const engine = options.redisUrl
    ? await connectRedisEngine(options.redisUrl)
    : createEmbeddedEngine();
  const app = createRedisApp(engine, options.token);
  let server: Listening;
  try {
    const fetch = withFaults(app.fetch, {
      tagOf: pathTag,
      errorBody: (_status, message) => ({ error: `ERR ${message}` }),
    });
    server = await listenOnLoopback('redis', fetch, options.port, options.host);
  } catch (error) {
    await engine.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: server.origin,
    close() {
      closing ??= server.close().then(() => engine.close());
      return closing;
    },
  };
}
