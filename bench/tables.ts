/** The benchmark's tables on stdout; `bench:compare` uses {@link table} too. */
import { relative } from 'node:path';
import type { BenchReport, BudgetCheck, ScenarioReport } from './report';

/** A plain-text table: columns padded to their widest cell, a rule under the header. */
export function table(
  header: string[],
  rows: string[][],
  rightAligned: (column: number) => boolean,
): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        rightAligned(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

const fixed = (value: number | null, digits: number) =>
  value === null ? '-' : value.toFixed(digits);

/** The scenarios table, as printed and as pasted into BENCHMARKS.md. */
function scenarioTable(results: ScenarioReport[]): string {
  const header = [
    'scenario',
    'req/s',
    '× base',
    'p50 ms',
    'p99 ms',
    'CPU ms/req',
    'CPU × base',
    'DB/req',
    'Redis/req',
    'non-2xx',
    'responses',
  ];
  const rows = results.map(({ load, ...result }) => [
    result.title,
    fixed(load?.requestsPerSecond ?? null, 0),
    fixed(result.baselineRatio, 2),
    fixed(load?.p50Ms ?? null, 2),
    fixed(load?.p99Ms ?? null, 2),
    fixed(load?.cpuMsPerRequest ?? null, 3),
    fixed(result.capacityRatio, 2),
    fixed(result.dbRoundTrips, 2),
    fixed(result.redisRequests, 2),
    load ? String(load.non2xx) : '-',
    Object.entries(load?.statuses ?? {})
      .map(([status, count]) => `${count}×${status}`)
      .join(' ') || `(counted only: ${result.countedRequests})`,
  ]);
  return table(header, rows, (column) => column > 0 && column < header.length - 1);
}

/** The budgets table. */
function budgetTable(checks: BudgetCheck[]): string {
  const rows = checks.map((check) => [
    check.label,
    check.limit,
    check.measured,
    `${check.met ? 'met' : 'NOT MET'}${check.gated ? ' (gated)' : ''}`,
  ]);
  return table(['budget (BENCHMARKS.md)', 'limit', 'measured', 'verdict'], rows, () => false);
}

/** Prints the whole report: machine and settings, scenarios, hash, bundle, startup, budgets. */
export function printReport(report: BenchReport): void {
  const { machine, settings, hash, bundle, startup } = report;
  const lines = [
    '',
    `${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage.join(' ')}; node ${machine.node}, workerd ${machine.workerd}`,
    `${settings.connections} connections, ${settings.seconds} s measured after ${settings.warmupSeconds} s warm-up`,
    `pinning: ${settings.pinning}; database: ${settings.database}; Redis: ${settings.redis}`,
    '',
    scenarioTable(report.scenarios),
    '',
    `password hash: ${hash.cpuMs} ms CPU (login − health CPU/request: ${hash.loginMinusHealthCpuMs ?? '-'} ms)`,
    `bundle: ${bundle.gzipKiB} KiB gzip; startup: ${startup.activeMs.toFixed(1)} ms CPU`,
    '',
    budgetTable(report.budgets),
    ...profileLines(report.scenarios),
  ];
  console.log(lines.join('\n'));
}

/** With `--profile`: each profile's file and its hottest functions by self time. */
function profileLines(scenarios: ScenarioReport[]): string[] {
  const lines: string[] = [];
  for (const { title, profile } of scenarios) {
    if (!profile) continue;
    lines.push('', `${title}: ${relative(process.cwd(), profile.file)} (self time, % of samples)`);
    for (const { frame, selfPercent } of profile.hottest) {
      lines.push(`  ${selfPercent.toFixed(1).padStart(5)}  ${frame}`);
    }
  }
  return lines;
}
