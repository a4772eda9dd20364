/**
 * Measures one scenario: prepare it, load it (warm-up, then a measured window with workerd's
 * CPU read around it), then send a few requests one at a time to count its database and Redis
 * round trips exactly (the local cloud's per-tag counters, read with workerd idle).
 */
import type { Settings } from '../src/settings';
import type { AppClient } from './fixtures';
import { type RequestPlan, runLoad, sendSequentially, type WindowHooks } from './load';
import { type HotFunction, type Profiler, saveProfile } from './profiler';
import type { Scenario } from './scenarios';

/** Where the counters come from. */
export interface Probes {
  /** Origins of the Worker sockets, by scenario target. */
  origins: Record<Scenario['target'], string>;
  client: AppClient;
  /** The app's settings, for scenarios that depend on one (a rate limit). */
  settings: Settings;
  /** Runs a command on the local cloud's Redis, untagged: it is not counted. */
  redis: (command: string[]) => Promise<unknown>;
  /** workerd's CPU time so far, in ms. */
  workerdCpuMs: () => number;
  /** `GET …/__local/stats?tag=` of the local Postgres and Redis endpoints. */
  dbStatsUrl: string;
  redisStatsUrl: string;
  /** With `--profile`: a profiler per Worker, and where the profiles go. */
  profiling?: { profilers: Record<Scenario['target'], Profiler>; dir: string };
}

/** How long and how hard to load, and how many requests to count subrequests over. */
export interface LoadSettings {
  warmupSeconds: number;
  seconds: number;
  connections: number;
  countedRequests: number;
  hashCpuMs: number;
}

/** What the load phase measured. */
interface LoadNumbers {
  connections: number;
  /** Responses in the measured window, and its length. */
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses per status in the measured window. */
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** workerd CPU per response in the window, ms. */
  cpuMsPerRequest: number;
  /** workerd CPU ÷ wall time: near 1 means the Worker, not the load generator, was the limit. */
  workerdBusy: number;
  /** This process's CPU ÷ wall time (autocannon and the local cloud share it). */
  generatorBusy: number;
}

/** One scenario's numbers. */
export interface ScenarioResult {
  name: string;
  title: string;
  method: string;
  path: string;
  expect: number;
  /** Null for a scenario that is only counted (`countOnly`). */
  load: LoadNumbers | null;
  /** Every response of the scenario (warm-up, window, counting pass), per status. */
  allStatuses: Record<string, number>;
  /** Responses with another status than `expect` among those, plus errors and timeouts. */
  unexpected: number;
  /** Requests of the one-at-a-time pass the four counts below are averaged over. */
  countedRequests: number;
  dbRoundTrips: number;
  dbQueries: number;
  redisRequests: number;
  redisCommands: number;
  /** With `--profile`: the window's profile file and its hottest functions. */
  profile?: { file: string; hottest: HotFunction[] };
}

interface Counts {
  db: { requests: number; queries: number };
  redis: { requests: number; commands: number };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

async function readCounts(probes: Probes): Promise<Counts> {
  const [db, redis] = await Promise.all([
    getJson<Counts['db']>(probes.dbStatsUrl),
    getJson<Counts['redis']>(probes.redisStatsUrl),
  ]);
  return { db, redis };
}

/** CPU of workerd and of this process, in ms, read at once: the edge of the window is now. */
function cpuNow(probes: Probes) {
  const own = process.cpuUsage();
  return { workerdMs: probes.workerdCpuMs(), ownMs: (own.user + own.system) / 1000 };
}

/**
 * Waits until the app is quiet, at most 10 s: workerd under 5% of a core and the local
 * cloud's counters unchanged over 200 ms. Requests the last run abandoned (some waiting on the
 * database, costing no CPU meanwhile) and work after responses (`waitUntil`) are then over.
 */
async function settle(probes: Probes): Promise<Counts> {
  const deadline = Date.now() + 10_000;
  let cpu = probes.workerdCpuMs();
  let counts = await readCounts(probes);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [nowCpu, nowCounts] = [probes.workerdCpuMs(), await readCounts(probes)];
    const quiet = nowCpu - cpu < 10 && JSON.stringify(nowCounts) === JSON.stringify(counts);
    cpu = nowCpu;
    counts = nowCounts;
    if (quiet) break;
  }
  return counts;
}

/** Subrequests per request, from `count` requests sent one at a time with workerd idle around. */
async function countSubrequests(
  probes: Probes,
  origin: string,
  scenario: Scenario,
  plan: RequestPlan,
  count: number,
) {
  const before = await settle(probes);
  const statuses = await sendSequentially(origin, scenario.path, plan, count);
  const after = await settle(probes);
  const per = (delta: number) => round(delta / count, 3);
  return {
    statuses,
    dbRoundTrips: per(after.db.requests - before.db.requests),
    dbQueries: per(after.db.queries - before.db.queries),
    redisRequests: per(after.redis.requests - before.redis.requests),
    redisCommands: per(after.redis.commands - before.redis.commands),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const sum = (counts: Record<string, number>) =>
  Object.values(counts).reduce((total, n) => total + n, 0);

/** Loads the scenario (`warmupSeconds`, then `seconds` measured) and sums up the window. */
async function load(
  probes: Probes,
  origin: string,
  scenario: Scenario,
  plan: RequestPlan,
  settings: LoadSettings,
) {
  const connections = scenario.connections ?? settings.connections;
  const timing = { connections, warmupSeconds: settings.warmupSeconds, seconds: settings.seconds };
  await settle(probes);
  const profiling = probes.profiling;
  const profiler = profiling?.profilers[scenario.target];
  let profile: ScenarioResult['profile'];
  const hooks: WindowHooks | undefined = profiling &&
    profiler && {
      opened: () => profiler.start(),
      closing: async () => {
        profile = saveProfile(await profiler.stop(), profiling.dir, scenario.name);
      },
    };
  const run = await runLoad(origin, scenario.path, plan, timing, async () => cpuNow(probes), hooks);
  const requests = sum(run.statuses);
  const workerdMs = run.after.workerdMs - run.before.workerdMs;
  const wallMs = run.seconds * 1000;
  const numbers: LoadNumbers = {
    connections,
    requests,
    seconds: round(run.seconds, 2),
    requestsPerSecond: round(requests / run.seconds, 1),
    p50Ms: round(run.p50Ms, 2),
    p99Ms: round(run.p99Ms, 2),
    statuses: run.statuses,
    non2xx: Object.entries(run.statuses)
      .filter(([status]) => !status.startsWith('2'))
      .reduce((total, [, n]) => total + n, 0),
    errors: run.errors,
    timeouts: run.timeouts,
    cpuMsPerRequest: requests > 0 ? round(workerdMs / requests, 3) : 0,
    workerdBusy: round(workerdMs / wallMs, 2),
    generatorBusy: round((run.after.ownMs - run.before.ownMs) / wallMs, 2),
  };
  return { numbers, allStatuses: run.allStatuses, profile };
}

/** Prepares `scenario`, loads it unless it is `countOnly`, then counts its subrequests. */
export async function measureScenario(
  scenario: Scenario,
  probes: Probes,
  settings: LoadSettings,
): Promise<ScenarioResult> {
  const plan = scenario.prepare
    ? await scenario.prepare({
        client: probes.client,
        settings: probes.settings,
        redis: probes.redis,
        connections: scenario.connections ?? settings.connections,
        seconds: scenario.countOnly ? 0 : settings.warmupSeconds + settings.seconds,
        countedRequests: settings.countedRequests,
        hashCpuMs: settings.hashCpuMs,
      })
    : {};
  const origin = probes.origins[scenario.target];
  const loaded = scenario.countOnly ? null : await load(probes, origin, scenario, plan, settings);
  const counted = await countSubrequests(probes, origin, scenario, plan, settings.countedRequests);

  const allStatuses = { ...loaded?.allStatuses };
  for (const [status, n] of Object.entries(counted.statuses)) {
    allStatuses[status] = (allStatuses[status] ?? 0) + n;
  }
  const failed = (loaded?.numbers.errors ?? 0) + (loaded?.numbers.timeouts ?? 0);
  const { statuses: _, ...subrequests } = counted;
  return {
    name: scenario.name,
    title: scenario.title,
    method: plan.method ?? 'GET',
    path: scenario.path,
    expect: scenario.expect,
    load: loaded?.numbers ?? null,
    allStatuses,
    unexpected: sum(allStatuses) - (allStatuses[scenario.expect] ?? 0) + failed,
    countedRequests: settings.countedRequests,
    ...subrequests,
    ...(loaded?.profile && { profile: loaded.profile }),
  };
}

/**
 * CPU of the app's own `hashPassword` in workerd: one call to warm up, then `count` hashes in
 * one request to the hash probe, divided out of workerd's CPU delta.
 */
export async function measureHash(origin: string, workerdCpuMs: () => number, count: number) {
  const call = async (n: number) => {
    const response = await fetch(`${origin}/?n=${n}`, { signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`hash probe: ${response.status} ${text}`);
  };
  await call(1);
  const before = workerdCpuMs();
  const started = performance.now();
  await call(count);
  const cpuMs = (workerdCpuMs() - before) / count;
  const wallMs = (performance.now() - started) / count;
  return { cpuMs: round(cpuMs, 1), wallMs: round(wallMs, 1), count };
}
