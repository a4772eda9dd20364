/**
 * `npm run bench`: builds the Worker, serves it in plain workerd against an in-process local
 * cloud, loads each scenario with autocannon, and prints and writes the results
 * (`bench/results/latest.json`). Exits non-zero when a response has an unexpected status or
 * a gated budget (bundle size, startup) is over. BENCHMARKS.md explains the method.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { migrateDatabase } from '../dev/db/migrate';
import { LOCAL_DATABASE_URL, localCloudBindings } from '../dev/local-cloud/bindings';
import { startLocalCloud } from '../dev/local-cloud/index';
import { freePort } from '../dev/local-cloud/ports';
import { emptyRedisDatabase, prepareOwnerRole } from '../dev/local-cloud/real-services';
import { LOCAL_CREDENTIALS } from '../dev/local-cloud/service';
import { parseSettings } from '../src/settings';
import { type Builds, buildAll, readWranglerSettings, type WranglerSettings } from './build';
import { API, appClient, localRedis } from './fixtures';
import { cleanup, handleExits, onCleanup } from './lifecycle';
import { type LoadSettings, measureHash, measureScenario, type Probes } from './measure';
import { type BenchOptions, parseOptions, USAGE } from './options';
import { attachProfiler } from './profiler';
import { chooseRedis } from './redis-server';
import {
  type BenchReport,
  checkBudgets,
  findFailures,
  machineInfo,
  type ScenarioReport,
  withRatios,
  writeReport,
} from './report';
import { SAME_RESPONSE, SCENARIOS, type Scenario } from './scenarios';
import { printReport } from './tables';
import { startWorkerd } from './workerd';

/** Tags the app's database and Redis traffic, so the local cloud counts it apart. */
const TAG = 'stratus-bench';

const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const progress = (line: string) => console.log(`[${elapsed().toFixed(1).padStart(5)} s] ${line}`);

/**
 * workerd on CPU 0 and this process (autocannon and the local cloud) on CPU 1, so the load
 * generator does not take the Worker's CPU; without taskset or a second core, no pinning.
 */
function pinCores(): { workerdCore?: number; description: string } {
  if (availableParallelism() < 2) return { description: 'none (fewer than 2 cores)' };
  const pinned = spawnSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
  if (pinned.error || pinned.status !== 0) return { description: 'none (taskset unavailable)' };
  return {
    workerdCore: 0,
    description: 'workerd on CPU 0; load generator and local cloud on CPU 1',
  };
}

function textVars(vars: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => {
      if (typeof value !== 'string') {
        throw new Error(`wrangler.toml var ${name}: only text vars are supported here`);
      }
      return [name, value];
    }),
  );
}

function selectScenarios(only: string[]): Scenario[] {
  const unknown = only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    const known = SCENARIOS.map((scenario) => scenario.name).join(', ');
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${known}`);
  }
  // The baseline always runs: every ratio is to it.
  return SCENARIOS.filter(
    (scenario) => only.length === 0 || scenario.name === 'baseline' || only.includes(scenario.name),
  );
}

/**
 * Starts Redis, the local cloud (migrated) and workerd with the three Workers; everything is
 * registered for cleanup. Returns what the scenarios measure through.
 */
async function startStack(
  options: BenchOptions,
  settings: WranglerSettings,
  builds: Builds,
  workDir: string,
) {
  const pinning = pinCores();
  const redis = options.redisUrl
    ? { engine: `Redis at ${withoutPassword(options.redisUrl)}`, redisUrl: options.redisUrl }
    : await chooseRedis(options.redis);
  if (options.redisUrl) await emptyRedisDatabase(options.redisUrl);
  const postgresUrl =
    options.postgresUrl && (await prepareOwnerRole(options.postgresUrl, LOCAL_DATABASE_URL));
  const cloud = await startLocalCloud({
    ports: { postgres: 0, redis: 0, qstash: 0, mailbox: 0, console: 0 },
    postgresUrl,
    databaseUrl: postgresUrl ? LOCAL_DATABASE_URL : undefined,
    redisUrl: redis.redisUrl,
    qstashDelivery: 'pull',
  });
  onCleanup(() => cloud.close());
  await migrateDatabase({ databaseUrl: LOCAL_DATABASE_URL, fetchEndpoint: cloud.urls.postgres });
  // The benchmark keeps the production default rate limit (the tests raise it out of their
  // way), so the blocked-client scenario reaches it quickly.
  const appBindings = {
    ...textVars(settings.vars),
    ...localCloudBindings(cloud.urls),
    DATABASE_URL: `${LOCAL_DATABASE_URL}?application_name=${TAG}`,
    UPSTASH_REDIS_REST_URL: `${cloud.urls.redis}/__tag/${TAG}`,
  };
  const compatibility = {
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
  };
  const inspectorPort = options.profile ? await freePort() : undefined;
  const workerd = await startWorkerd(
    [
      { name: 'app', build: builds.app, ...compatibility, bindings: appBindings },
      {
        name: 'baseline',
        build: builds.baseline,
        ...compatibility,
        // The app's settings: its Redis requests are counted under the app's tag, which is
        // right as scenarios run one at a time.
        bindings: appBindings,
      },
      { name: 'hash-probe', build: builds.hashProbe, ...compatibility, bindings: {} },
    ],
    workDir,
    { core: pinning.workerdCore, inspectorPort },
  );
  onCleanup(() => workerd.stop());
  const profiling = inspectorPort ? await attachProfilers(inspectorPort, options.out) : undefined;
  const origin = (name: string) => workerd.origins[name] ?? '';
  const probes: Probes = {
    origins: { app: origin('app'), baseline: origin('baseline') },
    client: appClient(origin('app')),
    settings: parseSettings(appBindings),
    redis: localRedis(cloud.urls.redis, LOCAL_CREDENTIALS.redisToken),
    workerdCpuMs: workerd.cpuMs,
    dbStatsUrl: `${new URL(cloud.urls.postgres).origin}/__local/stats?tag=${TAG}`,
    redisStatsUrl: `${cloud.urls.redis}/__local/stats?tag=${TAG}`,
    profiling,
  };
  const environment = {
    pinning: pinning.description,
    database: options.postgresUrl
      ? `PostgreSQL at ${withoutPassword(options.postgresUrl)} (own process, not pinned)`
      : 'PGlite, in memory, in the benchmark process',
    redis: redis.engine,
  };
  return { probes, hashProbe: origin('hash-probe'), environment };
}

/** A service URL as the report may show it. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}

/** A profiler on the app and one on the baseline; profiles go next to the JSON report. */
async function attachProfilers(inspectorPort: number, out: string) {
  const inspector = `127.0.0.1:${inspectorPort}`;
  const [app, baseline] = await Promise.all([
    attachProfiler(inspector, 'app'),
    attachProfiler(inspector, 'baseline'),
  ]);
  onCleanup(() => {
    app.close();
    baseline.close();
  });
  return { profilers: { app, baseline }, dir: join(dirname(out), 'profiles') };
}

/** Header names (but `date`) and JSON keys of a response, to compare two of them. */
async function responseShape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as Record<string, unknown>;
  const headers = [...response.headers.keys()].filter((name) => name !== 'date');
  return `${response.status}; headers: ${headers.sort().join(', ')}; keys: ${Object.keys(body).sort().join(', ')}`;
}

/** Refuses to compare with a baseline that no longer answers what the app's `/health` does. */
async function checkSameResponse(probes: Probes): Promise<void> {
  const [app, copy] = await Promise.all([
    responseShape(`${probes.origins.app}${API}/health`),
    responseShape(`${probes.origins.baseline}${SAME_RESPONSE}`),
  ]);
  if (app !== copy) {
    throw new Error(
      `bench/workers/baseline.ts ${SAME_RESPONSE} no longer answers what GET /health does:\n  app:      ${app}\n  baseline: ${copy}`,
    );
  }
}

async function runScenarios(scenarios: Scenario[], probes: Probes, load: LoadSettings) {
  const results = [];
  for (const scenario of scenarios) {
    const what = scenario.countOnly
      ? `${load.countedRequests} counted`
      : `${load.warmupSeconds} s warm-up, ${load.seconds} s measured, ${load.countedRequests} counted`;
    progress(`${scenario.title}: ${what}`);
    results.push(await measureScenario(scenario, probes, load));
  }
  return withRatios(results);
}

function hashCrossCheck(results: ScenarioReport[]): number | null {
  const cpuOf = (name: string) =>
    results.find((result) => result.name === name)?.load?.cpuMsPerRequest;
  const login = cpuOf('login');
  const health = cpuOf('health');
  return login !== undefined && health !== undefined ? Number((login - health).toFixed(1)) : null;
}

async function bench(options: BenchOptions): Promise<BenchReport> {
  const workDir = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  onCleanup(() => rmSync(workDir, { recursive: true, force: true }));
  const scenarios = selectScenarios(options.only);

  progress('Building the Worker and the bench Workers, profiling startup…');
  const settings = await readWranglerSettings();
  const builds = await buildAll(settings, workDir, options.profile);
  progress('Starting Redis, the local cloud and workerd…');
  const { probes, hashProbe, environment } = await startStack(options, settings, builds, workDir);
  await checkSameResponse(probes);
  progress(`Timing ${options.hashes} password hashes…`);
  const hash = await measureHash(hashProbe, probes.workerdCpuMs, options.hashes);
  const results = await runScenarios(scenarios, probes, {
    warmupSeconds: options.warmupSeconds,
    seconds: options.seconds,
    connections: options.connections,
    countedRequests: options.countedRequests,
    hashCpuMs: hash.cpuMs,
  });

  const measured = {
    bundle: {
      rawKiB: Number(builds.app.rawKiB.toFixed(1)),
      gzipKiB: Number(builds.app.gzipKiB.toFixed(1)),
    },
    startup: { ...builds.startup, source: 'wrangler check startup (CPU profile, active time)' },
    hash: { ...hash, loginMinusHealthCpuMs: hashCrossCheck(results) },
  };
  const budgets = checkBudgets(scenarios, results, measured, settings.cpuLimitMs);
  return {
    schema: 1,
    date: new Date().toISOString(),
    mode: options.smoke ? 'smoke' : 'full',
    runSeconds: Math.round(elapsed()),
    settings: {
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
      connections: options.connections,
      ...environment,
    },
    machine: machineInfo(),
    ...measured,
    scenarios: results,
    budgets,
    failures: findFailures(results, budgets),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  handleExits();
  const report = await bench(options);
  printReport(report);
  writeReport(options.out, report);
  console.log(`\nWrote ${relative(process.cwd(), options.out)} (run took ${report.runSeconds} s)`);
  for (const failure of report.failures) console.error(`FAIL ${failure}`);
  return report.failures.length > 0 ? 1 : 0;
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanup();
    process.exit(1);
  },
);
