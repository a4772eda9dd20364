/**
 * Everything the benchmark builds before it measures: the app's bundle (through
 * `measureBundle`, so its size is the one `npm run check:bundle` gates), the benchmark's own
 * Workers, and a CPU profile of the app's startup from `wrangler check startup`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { measureBundle } from '../dev/bundle-budget';
import { runCommand } from './lifecycle';
import type { CpuProfile } from './profiler';

const ROOT = join(import.meta.dirname, '..');

/** The settings of the root `wrangler.toml` that a plain workerd config must repeat. */
export interface WranglerSettings {
  /** Absolute path of the app's entry point. */
  main: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  minify: boolean;
  keepNames: boolean;
  /** `[vars]`, which the tests see too, under the test bindings. */
  vars: Record<string, unknown>;
  /** `[limits] cpu_ms`: the CPU a request may use in production; undefined for the default. */
  cpuLimitMs: number | undefined;
}

/** Reads `wrangler.toml` with wrangler's own reader, so TOML and defaults are its business. */
export async function readWranglerSettings(): Promise<WranglerSettings> {
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') }, {});
  if (!config.main || !config.compatibility_date) {
    throw new Error('wrangler.toml must set main and compatibility_date');
  }
  return {
    main: config.main,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    minify: config.minify ?? false,
    keepNames: config.keep_names ?? true,
    vars: { ...config.vars },
    cpuLimitMs: config.limits?.cpu_ms,
  };
}

/** A bundled Worker: its directory and module files, the main module first. */
export interface BuiltWorker {
  dir: string;
  modules: string[];
}

function withMainFirst(dir: string, modules: string[], entry: string): BuiltWorker {
  const main = `${basename(entry, extname(entry))}.js`;
  if (!modules.includes(main)) throw new Error(`${dir}: no main module ${main} in the build`);
  return { dir, modules: [main, ...modules.filter((module) => module !== main)] };
}

/**
 * Bundles one of `bench/workers/*.ts` into `outDir` as `wrangler deploy` would, with the build
 * settings of the root `wrangler.toml` (written into a config of its own next to `outDir`), so
 * the baseline pays exactly what the app pays for bundling.
 */
async function buildBenchWorker(
  name: string,
  outDir: string,
  settings: WranglerSettings,
): Promise<BuiltWorker> {
  const config = `${outDir}.wrangler.json`;
  writeFileSync(
    config,
    JSON.stringify({
      name: `stratus-bench-${name}`,
      main: join(import.meta.dirname, 'workers', `${name}.ts`),
      compatibility_date: settings.compatibilityDate,
      compatibility_flags: settings.compatibilityFlags,
      minify: settings.minify,
      keep_names: settings.keepNames,
    }),
  );
  await runCommand('wrangler', ['deploy', '--config', config, '--dry-run', '--outdir', outDir]);
  const main = `${name}.js`;
  if (!existsSync(join(outDir, main))) throw new Error(`wrangler did not write ${outDir}/${main}`);
  return { dir: outDir, modules: [main] };
}

/** CPU profile of the app's startup (the evaluation of its modules), in milliseconds. */
interface StartupProfile {
  /** Sampled time not idle: the startup CPU the 1 s Workers limit is about. */
  activeMs: number;
  /** From the first to the last sample, idle included. */
  windowMs: number;
}

/** Sums a `.cpuprofile` (times in microseconds) the way `wrangler check startup` reports it. */
function summarizeProfile(profile: CpuProfile): StartupProfile {
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  const samples = profile.samples ?? [];
  let active = 0;
  for (const [index, delta] of (profile.timeDeltas ?? []).entries()) {
    if (names.get(samples[index] ?? -1) !== '(idle)') active += delta;
  }
  return { activeMs: active / 1000, windowMs: (profile.endTime - profile.startTime) / 1000 };
}

async function profileStartup(outFile: string): Promise<StartupProfile> {
  await runCommand('wrangler', ['check', 'startup', '--outfile', outFile]);
  return summarizeProfile(JSON.parse(readFileSync(outFile, 'utf8')) as CpuProfile);
}

/** The outcome of {@link buildAll}. */
export interface Builds {
  app: BuiltWorker & { rawKiB: number; gzipKiB: number };
  baseline: BuiltWorker;
  hashProbe: BuiltWorker;
  startup: StartupProfile;
}

/** The app built again without minifying, so a CPU profile names its functions. */
async function buildReadableApp(outDir: string, settings: WranglerSettings): Promise<BuiltWorker> {
  await runCommand('wrangler', ['deploy', '--dry-run', '--outdir', outDir, '--minify=false']);
  const modules = readdirSync(outDir).filter((file) => /\.(m?js|wasm)$/.test(file));
  return withMainFirst(outDir, modules, settings.main);
}

/**
 * Builds everything into `workDir`. The bench Workers and the startup profile run in the
 * background while `measureBundle` (synchronous) builds the app into `dist/`. With
 * `readable`, every Worker that runs is built unminified (the sizes stay the minified ones).
 */
export async function buildAll(
  settings: WranglerSettings,
  workDir: string,
  readable = false,
): Promise<Builds> {
  const benchSettings = readable ? { ...settings, minify: false } : settings;
  const background = Promise.all([
    buildBenchWorker('baseline', join(workDir, 'baseline'), benchSettings),
    buildBenchWorker('hash-probe', join(workDir, 'hash-probe'), benchSettings),
    profileStartup(join(workDir, 'startup.cpuprofile')),
    readable ? buildReadableApp(join(workDir, 'app-readable'), settings) : undefined,
  ]);
  // Without a handler until awaited, an early rejection would count as unhandled.
  background.catch(() => undefined);
  const bundle = measureBundle();
  const [baseline, hashProbe, startup, readableApp] = await background;
  const app = readableApp ?? withMainFirst(bundle.outDir, bundle.modules, settings.main);
  return {
    app: { ...app, rawKiB: bundle.rawKiB, gzipKiB: bundle.gzipKiB },
    baseline,
    hashProbe,
    startup,
  };
}
