/**
 * The load generator: autocannon, with a measured window inside a steady run. Counters read
 * when a run starts or stops would be skewed by the requests in flight at that moment (an
 * abandoned request still costs the Worker CPU and subrequests); inside one run, both edges of
 * the window have the same requests in flight, so those errors cancel out.
 */
import autocannon from 'autocannon';

/** What each request of a scenario sends. */
export interface RequestPlan {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Called before every request for what changes (a fresh client IP, a token from a pool);
   * returns headers merged over `headers`, and the body if it changes. Omitted: every request
   * is the same bytes, which autocannon builds once (cheapest for the load generator).
   */
  vary?: () => { headers?: Record<string, string>; body?: string };
  /** Sees every response, e.g. to put a rotated refresh token back in its pool. */
  onResponse?: (status: number, body: string) => void;
  /** Runs before each request of the one-at-a-time pass (not under load), e.g. to drop a cache. */
  beforeCounted?: () => Promise<void>;
}

/** How long to load before and during the measured window. */
export interface LoadTiming {
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

/** Called as the measured window opens and as it closes (e.g. to profile just the window). */
export interface WindowHooks {
  opened(): Promise<void>;
  closing(): Promise<void>;
}

/** One load run's outcome; `T` is what `snapshot` returns. */
export interface LoadResult<T> {
  /** Snapshots at the start and the end of the window. */
  before: T;
  after: T;
  /** Wall time of the window, in seconds. */
  seconds: number;
  /** Responses received in the window, per HTTP status. */
  statuses: Record<string, number>;
  /** Responses per status over the whole run, warm-up included: every one is checked. */
  allStatuses: Record<string, number>;
  /** Connection errors and timeouts over the whole run (no response at all). */
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
}

/** Latencies kept at most (30 s at 60k requests/s). */
const MAX_SAMPLES = 2_000_000;

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

function toRequest(path: string, plan: RequestPlan): autocannon.Request {
  const request: autocannon.Request = {
    method: plan.method ?? 'GET',
    path,
    headers: plan.headers ?? {},
    ...(plan.body !== undefined && { body: plan.body }),
  };
  const { vary, onResponse } = plan;
  if (vary) {
    request.setupRequest = (base) => {
      const changes = vary();
      return {
        ...base,
        headers: { ...base.headers, ...changes.headers },
        ...(changes.body !== undefined && { body: changes.body }),
      };
    };
  }
  if (onResponse) request.onResponse = (status, body) => onResponse(status, body);
  return request;
}

const tally = (counts: Record<string, number>, status: number) => {
  counts[status] = (counts[status] ?? 0) + 1;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Loads `origin + path` with keep-alive connections (no pipelining): `warmupSeconds`, then
 * the measured window of `seconds`, framed by two calls of `snapshot` (and `hooks` inside).
 */
export async function runLoad<T>(
  origin: string,
  path: string,
  plan: RequestPlan,
  timing: LoadTiming,
  snapshot: () => Promise<T>,
  hooks?: WindowHooks,
): Promise<LoadResult<T>> {
  const latencies = new Float64Array(MAX_SAMPLES);
  let samples = 0;
  let measuring = false;
  const statuses: Record<string, number> = {};
  const allStatuses: Record<string, number> = {};
  const instance = autocannon({
    url: origin,
    connections: timing.connections,
    // A bound only: the run is stopped once the window closes.
    duration: timing.warmupSeconds + timing.seconds + 5,
    pipelining: 1,
    timeout: 30,
    // stop() takes effect on the next tick; ticks 10× a second keep that short.
    sampleInt: 100,
    requests: [toRequest(path, plan)],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    tally(allStatuses, status);
    if (!measuring) return;
    tally(statuses, status);
    if (samples < MAX_SAMPLES) latencies[samples++] = ms;
  });
  const done = Promise.resolve(instance);
  // Handled here too, so a failure while this function is not awaiting it is not "unhandled".
  done.catch(() => undefined);
  try {
    await sleep(timing.warmupSeconds * 1000);
    measuring = true;
    const started = performance.now();
    const before = await snapshot();
    await hooks?.opened();
    await sleep(timing.seconds * 1000);
    measuring = false;
    const seconds = (performance.now() - started) / 1000;
    await hooks?.closing();
    const after = await snapshot();
    instance.stop();
    const result = await done;
    const sorted = latencies.subarray(0, samples).sort();
    return {
      before,
      after,
      seconds,
      statuses,
      allStatuses,
      errors: result.errors,
      timeouts: result.timeouts,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    };
  } finally {
    instance.stop();
  }
}

/**
 * Sends `count` requests one after another, each awaited, as the load would send them;
 * returns the count per status. With nothing else in flight, the counters read around it
 * give exact subrequests per request.
 */
export async function sendSequentially(
  origin: string,
  path: string,
  plan: RequestPlan,
  count: number,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    await plan.beforeCounted?.();
    const changes = plan.vary?.() ?? {};
    const response = await fetch(`${origin}${path}`, {
      method: plan.method ?? 'GET',
      headers: { ...plan.headers, ...changes.headers },
      body: changes.body ?? plan.body,
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    plan.onResponse?.(response.status, body);
    tally(statuses, response.status);
  }
  return statuses;
}
