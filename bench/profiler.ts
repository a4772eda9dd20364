/**
 * CPU profiles of a Worker under load (`npm run bench -- --profile`), through workerd's
 * inspector: the Chrome DevTools Protocol over a WebSocket at `/<service name>`. The result is
 * a `.cpuprofile`, which Chrome DevTools (Performance panel) and speedscope open.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A V8 CPU profile, as the `Profiler` domain returns it. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A profiler attached to one Worker. */
export interface Profiler {
  start(): Promise<void>;
  stop(): Promise<CpuProfile>;
  close(): void;
}

/** Samples every 100 µs: a request of ~0.1 ms CPU gets about one sample. */
const SAMPLING_INTERVAL_US = 100;

/**
 * Attaches to the Worker `service` of the workerd whose inspector listens at `inspector`
 * (`127.0.0.1:<port>`).
 */
export async function attachProfiler(inspector: string, service: string): Promise<Profiler> {
  const socket = new WebSocket(`ws://${inspector}/${service}`);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`inspector ${inspector}/${service}`)), {
      once: true,
    });
  });
  let lastId = 0;
  const pending = new Map<
    number,
    { resolve: (result: unknown) => void; reject: (e: Error) => void }
  >();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (message.id === undefined) return; // an event, not an answer
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(`inspector: ${message.error.message}`));
    else waiter?.resolve(message.result);
  });
  // workerd gone: nothing will answer, so nothing may wait.
  socket.addEventListener('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('inspector closed'));
    pending.clear();
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      lastId += 1;
      pending.set(lastId, { resolve, reject });
      socket.send(JSON.stringify({ id: lastId, method, params }));
    });

  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  return {
    start: async () => {
      await send('Profiler.start');
    },
    stop: async () => ((await send('Profiler.stop')) as { profile: CpuProfile }).profile,
    close: () => socket.close(),
  };
}

/** A function's share of the samples. */
export interface HotFunction {
  /** `name file:line` (line 1-based), or V8's pseudo-frames: `(garbage collector)`, `(idle)`… */
  frame: string;
  /** Percent of all samples spent in the function itself. */
  selfPercent: number;
}

/** The functions with the most samples of their own, highest first. */
function hottestFunctions(profile: CpuProfile, count: number): HotFunction[] {
  const frames = new Map(
    profile.nodes.map(({ id, callFrame: { functionName, url, lineNumber } }) => {
      const file = url.split('/').pop();
      const name = functionName || '(anonymous)';
      return [id, file ? `${name} ${file}:${lineNumber + 1}` : name];
    }),
  );
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  for (const id of samples) {
    const frame = frames.get(id) ?? '(unknown)';
    self.set(frame, (self.get(frame) ?? 0) + 1);
  }
  return [...self]
    .sort(([, a], [, b]) => b - a)
    .slice(0, count)
    .map(([frame, n]) => ({ frame, selfPercent: (100 * n) / Math.max(1, samples.length) }));
}

/** Writes `profile` to `<dir>/<name>.cpuprofile`; returns the file and the 15 hottest functions. */
export function saveProfile(profile: CpuProfile, dir: string, name: string) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return { file, hottest: hottestFunctions(profile, 15) };
}
