/**
 * Runs bundled Workers in plain `workerd serve` (not `wrangler dev`, a proxy ~30× slower),
 * one HTTP socket per Worker on 127.0.0.1, and reads the process's CPU time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { freePort } from '../dev/local-cloud/ports';
import type { BuiltWorker } from './build';
import { stopChild, track } from './lifecycle';

/** One Worker to serve. */
export interface WorkerSpec {
  /** Service and socket name, `[a-z-]+`. */
  name: string;
  build: BuiltWorker;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Plain-text bindings (vars and secrets). */
  bindings: Record<string, string>;
}

/** A running workerd. */
export interface Workerd {
  pid: number;
  /** Origin of each Worker's socket, by name: `http://127.0.0.1:<port>`. */
  origins: Record<string, string>;
  /** CPU time (user + system) the process has used so far, in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const MODULE_TYPES: Record<string, string> = {
  '.js': 'esModule',
  '.mjs': 'esModule',
  '.wasm': 'wasm',
};

/** Copies the modules next to the config (embeds are relative) and returns its worker block. */
function workerBlock(spec: WorkerSpec, dir: string): string {
  mkdirSync(join(dir, spec.name), { recursive: true });
  const modules = spec.build.modules.map((module) => {
    const type = MODULE_TYPES[extname(module)];
    if (!type) throw new Error(`${spec.name}: no workerd module type for ${module}`);
    copyFileSync(join(spec.build.dir, module), join(dir, spec.name, module));
    return `(name = ${JSON.stringify(module)}, ${type} = embed ${JSON.stringify(`${spec.name}/${module}`)})`;
  });
  const bindings = Object.entries(spec.bindings).map(
    ([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`,
  );
  return `(
    modules = [${modules.join(', ')}],
    compatibilityDate = ${JSON.stringify(spec.compatibilityDate)},
    compatibilityFlags = ${JSON.stringify(spec.compatibilityFlags)},
    bindings = [${bindings.join(',\n      ')}],
    globalOutbound = "loopback",
  )`;
}

/** The capnp config: every Worker, its socket, and an outbound network limited to loopback. */
function capnpConfig(specs: WorkerSpec[], ports: number[], dir: string): string {
  const services = specs.map(
    (spec) => `(name = "${spec.name}", worker = ${workerBlock(spec, dir)})`,
  );
  const sockets = specs.map(
    (spec, i) =>
      `(name = "${spec.name}", address = "127.0.0.1:${ports[i]}", http = (), service = "${spec.name}")`,
  );
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    ${services.join(',\n    ')},
    (name = "loopback", network = (allow = ["127.0.0.0/8"])),
  ],
  sockets = [
    ${sockets.join(',\n    ')},
  ],
);
`;
}

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads) from `/proc/<pid>/stat`, in milliseconds. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function waitUntilServing(child: ChildProcess, origins: string[], log: () => string) {
  const deadline = Date.now() + 20_000;
  const pending = new Set(origins);
  while (pending.size > 0) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`workerd exited during startup:\n${log()}`);
    }
    if (Date.now() > deadline) throw new Error(`workerd did not serve within 20 s:\n${log()}`);
    for (const origin of pending) {
      // Any HTTP answer means the socket is up and the Worker loaded.
      const answered = await fetch(origin, { signal: AbortSignal.timeout(2_000) }).then(
        async (response) => {
          await response.arrayBuffer();
          return true;
        },
        () => false,
      );
      if (answered) pending.delete(origin);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Where and how workerd runs. */
export interface WorkerdOptions {
  /** Pin the process to this CPU with `taskset`. */
  core?: number;
  /** Open the inspector (Chrome DevTools Protocol) on `127.0.0.1:<port>`. */
  inspectorPort?: number;
}

/**
 * Writes a config for `specs` into `dir` and serves it with `workerd serve`. Resolves once
 * every socket answers.
 */
export async function startWorkerd(
  specs: WorkerSpec[],
  dir: string,
  { core, inspectorPort }: WorkerdOptions = {},
): Promise<Workerd> {
  const ports = await Promise.all(specs.map(() => freePort()));
  const configPath = join(dir, 'workerd.capnp');
  writeFileSync(configPath, capnpConfig(specs, ports, dir));
  const inspector = inspectorPort ? [`--inspector-addr=127.0.0.1:${inspectorPort}`] : [];
  const serve = ['workerd', 'serve', configPath, ...inspector];
  const [command, ...args] = core === undefined ? serve : ['taskset', '-c', String(core), ...serve];
  const child = track(spawn(command as string, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () => stopChild(child);
  const origins = Object.fromEntries(
    specs.map((spec, i) => [spec.name, `http://127.0.0.1:${ports[i]}`]),
  );
  try {
    await waitUntilServing(child, Object.values(origins), () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid as number;
  return { pid, origins, cpuMs: () => processCpuMs(pid), stop };
}
