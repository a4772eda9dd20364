/**
 * `npm run check:bundle`: bundles the Worker as `wrangler deploy` would (no account needed)
 * and fails when its gzip size passes the budget in BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BUDGET_KIB = 400;
const OUT_DIR = join(import.meta.dirname, '..', 'dist');

/** What {@link measureBundle} built: sizes in KiB, and where the modules are. */
export interface BundleMeasure {
  rawKiB: number;
  gzipKiB: number;
  /** The output directory (`dist/`) and the names of the Worker's module files in it. */
  outDir: string;
  modules: string[];
}

/** Builds into `dist/` and returns the raw and gzip sizes of the Worker's modules, in KiB. */
export function measureBundle(): BundleMeasure {
  execFileSync('wrangler', ['deploy', '--dry-run', '--outdir', OUT_DIR], { stdio: 'ignore' });
  const modules = readdirSync(OUT_DIR).filter((file) => /\.(m?js|wasm)$/.test(file));
  let raw = 0;
  let gzip = 0;
  for (const file of modules) {
    const path = join(OUT_DIR, file);
    raw += statSync(path).size;
    gzip += gzipSync(readFileSync(path), { level: 9 }).length;
  }
  return { rawKiB: raw / 1024, gzipKiB: gzip / 1024, outDir: OUT_DIR, modules };
}

if (import.meta.main) {
  const { rawKiB, gzipKiB } = measureBundle();
  const verdict = gzipKiB <= BUDGET_KIB ? 'within' : 'OVER';
  console.log(
    `bundle: ${rawKiB.toFixed(1)} KiB raw, ${gzipKiB.toFixed(1)} KiB gzip (${verdict} the ${BUDGET_KIB} KiB budget)`,
  );
  if (gzipKiB > BUDGET_KIB) process.exit(1);
}
