/** The benchmark's output: the JSON document, its ratios, budget checks and failures. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { BUDGET_KIB } from '../dev/bundle-budget';
import type { ScenarioResult } from './measure';
import type { Budget, Metric, Scenario } from './scenarios';

/** The budgets of BENCHMARKS.md and the Workers platform's limits. */
const LIMITS = { startupMs: 1000, hashCpuMs: 150, bundleGzipKiB: BUDGET_KIB } as const;

/** Where the numbers were taken. */
export interface Machine {
  cpu: string;
  cores: number;
  /** 1, 5 and 15 minute load averages as the run ends: other work on the machine skews results. */
  loadAverage: number[];
  memoryGiB: number;
  kernel: string;
  node: string;
  workerd: string;
  wrangler: string;
  commit: string;
  /** Uncommitted changes in the working tree when the run started. */
  dirty: boolean;
}

/** One budget, measured. `gated` ones fail the run when not met. */
export interface BudgetCheck {
  label: string;
  limit: string;
  measured: string;
  met: boolean;
  gated: boolean;
}

/** A scenario's result with its ratios to the baseline. */
export type ScenarioReport = ScenarioResult & {
  /** Requests/s ÷ the baseline's, as measured. */
  baselineRatio: number | null;
  /**
   * The baseline's CPU per request ÷ this one's: the requests/s ratio when workerd is the
   * limit, which the measured ratio only shows when the load generator keeps workerd busy.
   */
  capacityRatio: number | null;
};

/** `bench/results/*.json`. `schema` changes when a field changes meaning. */
export interface BenchReport {
  schema: 1;
  date: string;
  mode: 'full' | 'smoke';
  /** Wall time of the whole run, builds included. */
  runSeconds: number;
  settings: {
    warmupSeconds: number;
    seconds: number;
    connections: number;
    pinning: string;
    /** What served the database and Redis behind the local cloud's endpoints. */
    database: string;
    redis: string;
  };
  machine: Machine;
  bundle: { rawKiB: number; gzipKiB: number };
  startup: { activeMs: number; windowMs: number; source: string };
  hash: { cpuMs: number; wallMs: number; count: number; loginMinusHealthCpuMs: number | null };
  scenarios: ScenarioReport[];
  budgets: BudgetCheck[];
  /** Why the run failed (unexpected statuses, gated budgets); empty when it passed. */
  failures: string[];
}

function output(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Describes this machine and checkout. */
export function machineInfo(): Machine {
  const wranglerPackage = join(
    import.meta.dirname,
    '..',
    'node_modules',
    'wrangler',
    'package.json',
  );
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    // Not availableParallelism(): this process is pinned to one CPU by then.
    cores: cpus().length,
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    workerd: output('workerd', ['--version'])?.replace(/^workerd\s+/, '') ?? 'unknown',
    wrangler: (JSON.parse(readFileSync(wranglerPackage, 'utf8')) as { version: string }).version,
    commit: output('git', ['rev-parse', 'HEAD']) ?? 'none (no commit yet)',
    dirty: (output('git', ['status', '--porcelain']) ?? '') !== '',
  };
}

const METRIC_UNITS: Record<Metric, string> = {
  dbRoundTrips: 'DB round trips/request',
  redisRequests: 'Redis requests/request',
  capacityRatio: '× baseline capacity',
  cpuRatio: '× CPU/request',
};

/** A `cpuRatio` budget's measure: (CPU − `minus`'s CPU) ÷ `over`'s CPU; null without them. */
function cpuRatio(
  results: ScenarioReport[],
  result: ScenarioReport,
  budget: Budget,
): number | null {
  const cpu = (name: string | undefined) =>
    name === undefined ? 0 : results.find((other) => other.name === name)?.load?.cpuMsPerRequest;
  const [own, minus, over] = [result.load?.cpuMsPerRequest, cpu(budget.minus), cpu(budget.over)];
  if (own === undefined || minus === undefined || over === undefined || !(over > 0)) return null;
  return Number(((own - minus) / over).toFixed(2));
}

/** Checks each scenario's budgets and the global ones (hash, bundle, startup). */
export function checkBudgets(
  scenarios: Scenario[],
  results: ScenarioReport[],
  report: Pick<BenchReport, 'bundle' | 'startup' | 'hash'>,
  cpuLimitMs: number | undefined,
): BudgetCheck[] {
  const checks: BudgetCheck[] = [];
  for (const scenario of scenarios) {
    const result = results.find((candidate) => candidate.name === scenario.name);
    if (!result) continue;
    for (const budget of scenario.budgets ?? []) {
      const value =
        budget.metric === 'cpuRatio' ? cpuRatio(results, result, budget) : result[budget.metric];
      const unit = METRIC_UNITS[budget.metric];
      const limit = budget.max !== undefined ? `<= ${budget.max}` : `>= ${budget.min}`;
      const met =
        value !== null &&
        (budget.max === undefined || value <= budget.max) &&
        (budget.min === undefined || value >= budget.min);
      checks.push({
        label: budget.label,
        limit: `${limit} ${unit}`,
        measured: String(value ?? 'n/a'),
        met,
        gated: false,
      });
    }
  }
  checks.push(
    {
      label: 'password hash CPU (hashPassword in workerd)',
      limit: `<= ${LIMITS.hashCpuMs} ms`,
      measured: `${report.hash.cpuMs} ms`,
      met: report.hash.cpuMs <= LIMITS.hashCpuMs,
      gated: false,
    },
    {
      // A password change hashes twice; twice that again is the headroom wrangler.toml promises.
      label: 'wrangler.toml [limits] cpu_ms >= 2x a password change (2 hashes)',
      limit: `>= ${(4 * report.hash.cpuMs).toFixed(0)} ms`,
      measured: cpuLimitMs === undefined ? 'unset' : `${cpuLimitMs} ms`,
      met: cpuLimitMs !== undefined && cpuLimitMs >= 4 * report.hash.cpuMs,
      gated: false,
    },
    {
      label: 'Worker bundle, gzip',
      limit: `<= ${LIMITS.bundleGzipKiB} KiB`,
      measured: `${report.bundle.gzipKiB.toFixed(1)} KiB`,
      met: report.bundle.gzipKiB <= LIMITS.bundleGzipKiB,
      gated: true,
    },
    {
      label: 'startup CPU (wrangler check startup)',
      limit: `<= ${LIMITS.startupMs} ms`,
      measured: `${report.startup.activeMs.toFixed(1)} ms`,
      met: report.startup.activeMs <= LIMITS.startupMs,
      gated: true,
    },
  );
  return checks;
}

/** Adds each scenario's ratios to the baseline (null without a load or a baseline). */
export function withRatios(results: ScenarioResult[]): ScenarioReport[] {
  const baseline = results.find((result) => result.name === 'baseline')?.load;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? Number((a / b).toFixed(3)) : null;
  return results.map((result) => ({
    ...result,
    baselineRatio: ratio(result.load?.requestsPerSecond, baseline?.requestsPerSecond),
    capacityRatio: ratio(baseline?.cpuMsPerRequest, result.load?.cpuMsPerRequest),
  }));
}

/** What fails the run: a response with an unexpected status, a load without responses, a gated budget over. */
export function findFailures(results: ScenarioResult[], budgets: BudgetCheck[]): string[] {
  const statusFailures = results
    .filter((result) => result.unexpected > 0 || result.load?.requests === 0)
    .map((result) => {
      const statuses = JSON.stringify(result.allStatuses);
      const failed = `${result.load?.errors ?? 0} errors, ${result.load?.timeouts ?? 0} timeouts`;
      return `${result.name}: expected every response to be ${result.expect}; got ${statuses}, ${failed}`;
    });
  const budgetFailures = budgets
    .filter((check) => check.gated && !check.met)
    .map((check) => `${check.label}: ${check.measured}, limit ${check.limit}`);
  return [...statusFailures, ...budgetFailures];
}

/** Writes the JSON, creating its directory. */
export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
