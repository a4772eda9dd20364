/** Command-line options of `npm run bench`. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** How the run is configured. */
export interface BenchOptions {
  smoke: boolean;
  warmupSeconds: number;
  seconds: number;
  connections: number;
  /** Hashes timed by the hash probe. */
  hashes: number;
  /** Requests sent one at a time per scenario to count its subrequests. */
  countedRequests: number;
  /** Which Redis the local cloud serves: see `chooseRedis`. */
  redis: 'auto' | 'embedded' | 'server';
  /** A real PostgreSQL the local cloud serves instead of PGlite (emptied first). */
  postgresUrl?: string;
  /** A real Redis the local cloud serves instead of its own choice (`--redis`; emptied first). */
  redisUrl?: string;
  /** Scenario names to run; empty means all. */
  only: string[];
  /** Write a CPU profile of each loaded scenario's window (see {@link USAGE}). */
  profile: boolean;
  out: string;
}

export const USAGE = `npm run bench -- [options]

  --smoke            ~1 s per scenario, for CI: checks statuses and the bundle and startup
                     gates, writes the JSON; no throughput or latency is asserted
  --duration <s>     measured seconds per scenario (default 10; smoke 1)
  --warmup <s>       warm-up seconds per scenario (default 3; smoke 1)
  --connections <n>  concurrent connections (default 16; the login scenario uses 4)
  --redis <engine>   auto (default): a private redis-server when installed, else the local
                     cloud's embedded engine; or force "server" / "embedded"
  --postgres <url>   serve this PostgreSQL through the local Neon endpoint instead of PGlite,
                     as test:services does; its schemas are dropped first (a throwaway one)
  --redis-url <url>  serve this Redis through the local Upstash endpoint; its database (the
                     URL's /n) is emptied first
  --only <a,b>       run only these scenarios (the baseline always runs)
  --profile          also write a CPU profile of each measured window next to the JSON
                     (profiles/<scenario>.cpuprofile, for Chrome DevTools or speedscope) and
                     print its hottest functions; the app runs unminified and the profiler
                     costs CPU, so the run's numbers are not comparable with others
  --out <file>       where to write the JSON (default bench/results/latest.json)
  --help`;

function number(
  name: string,
  value: string | undefined,
  fallback: number,
  integer: boolean,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!(parsed > 0) || (integer && !Number.isInteger(parsed))) {
    throw new Error(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`,
    );
  }
  return parsed;
}

const REDIS_MODES = ['auto', 'embedded', 'server'] as const;

/** Parses `argv`; `undefined` when `--help` asked for the usage. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      redis: { type: 'string', default: 'auto' },
      postgres: { type: 'string' },
      'redis-url': { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const smoke = values.smoke;
  const redis = REDIS_MODES.find((mode) => mode === values.redis);
  if (!redis)
    throw new Error(`--redis must be one of ${REDIS_MODES.join(', ')}, got "${values.redis}"`);
  return {
    smoke,
    warmupSeconds: number('warmup', values.warmup, smoke ? 1 : 3, false),
    seconds: number('duration', values.duration, smoke ? 1 : 10, false),
    connections: number('connections', values.connections, 16, true),
    hashes: smoke ? 3 : 10,
    countedRequests: smoke ? 5 : 20,
    redis,
    postgresUrl: values.postgres,
    redisUrl: values['redis-url'],
    only:
      values.only
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean) ?? [],
    profile: values.profile,
    out: values.out ?? join(import.meta.dirname, 'results', 'latest.json'),
  };
}
