/**
 * `npm run bench:compare -- <before.json> <after.json>`: how two benchmark runs differ, per
 * scenario and for the bundle, startup and hash. Compare runs of the same machine and mode.
 */
import { readFileSync } from 'node:fs';
import type { BenchReport } from './report';
import { table } from './tables';

function load(path: string): BenchReport {
  const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  if (report.schema !== 1) throw new Error(`${path}: unknown schema ${String(report.schema)}`);
  return report;
}

/** `a → b (+x%)`, or `a → b` when both are zero. */
function change(
  a: number | null | undefined,
  b: number | null | undefined,
  digits: number,
): string {
  if (a === null || a === undefined || b === null || b === undefined) return '-';
  const delta = a === 0 ? '' : ` (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%)`;
  return `${a.toFixed(digits)} → ${b.toFixed(digits)}${delta}`;
}

function describe(report: BenchReport): string {
  const { machine, settings } = report;
  const commit = machine.commit.slice(0, 10) + (machine.dirty ? '+dirty' : '');
  return `${commit}, ${report.mode}, ${report.date}, ${machine.cpu}, load ${machine.loadAverage.join(' ')}, ${settings.redis}`;
}

function main(argv: string[]): number {
  const [beforePath, afterPath] = argv;
  if (!beforePath || !afterPath) {
    console.error('usage: npm run bench:compare -- <before.json> <after.json>');
    return 2;
  }
  const before = load(beforePath);
  const after = load(afterPath);
  console.log(`before: ${describe(before)}\nafter:  ${describe(after)}`);
  const warnings = [
    before.machine.cpu !== after.machine.cpu && 'different CPUs',
    before.mode !== after.mode && 'different modes',
    before.settings.redis !== after.settings.redis && 'different Redis engines',
  ].filter(Boolean);
  if (warnings.length > 0)
    console.log(`warning: ${warnings.join(', ')}; the numbers do not compare`);

  const rows = after.scenarios.flatMap((b) => {
    const a = before.scenarios.find((scenario) => scenario.name === b.name);
    if (!a) return [];
    return [
      [
        b.title,
        change(a.load?.requestsPerSecond, b.load?.requestsPerSecond, 0),
        change(a.load?.p99Ms, b.load?.p99Ms, 2),
        change(a.load?.cpuMsPerRequest, b.load?.cpuMsPerRequest, 3),
        change(a.dbRoundTrips, b.dbRoundTrips, 2),
        change(a.redisRequests, b.redisRequests, 2),
      ],
    ];
  });
  const header = ['scenario', 'req/s', 'p99 ms', 'CPU ms/req', 'DB/req', 'Redis/req'];
  console.log(`\n${table(header, rows, (column) => column > 0)}\n`);
  console.log(`bundle gzip KiB:  ${change(before.bundle.gzipKiB, after.bundle.gzipKiB, 1)}`);
  console.log(`startup CPU ms:   ${change(before.startup.activeMs, after.startup.activeMs, 1)}`);
  console.log(`hash CPU ms:      ${change(before.hash.cpuMs, after.hash.cpuMs, 1)}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
