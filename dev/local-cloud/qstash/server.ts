import { Hono } from 'hono';
import { pathTag, withFaults } from '../faults';
import { listenOnLoopback } from '../http';
import type { RunningService } from '../service';
import { localAdmin } from './admin';
import { qstashApi } from './api';
import { createBroker } from './broker';
import { startHttpDispatcher } from './dispatcher';
import type { QStashPlan } from './publish-request';
import { DEFAULT_PLAN } from './publish-request';
import { createScheduler } from './scheduler';

export interface QStashOptions {
  /** Loopback port; `0` picks a free one. */
  port: number;
  /** Bearer token the API accepts. */
  token: string;
  /** Signs every delivery; the Worker's `Receiver` holds it and `nextSigningKey`. */
  currentSigningKey: string;
  nextSigningKey: string;
  /**
   * `http` POSTs due deliveries to their destination (`npm run dev`); `pull` queues them for
   * the test runner, which claims them over `/__local/deliveries` (see `admin.ts`).
   */
  delivery: 'http' | 'pull';
  /**
   * Multiplies every retry delay (QStash's backoff min(86400, e^(2.5·retried)) seconds,
   * `Upstash-Retry-Delay`, a response's `Retry-After`); 1 is QStash's.
   */
  backoffScale: number;
  /** Plan limits (retry cap, message size); defaults to {@link DEFAULT_PLAN}. */
  plan?: Partial<QStashPlan>;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
}

/**
 * Starts the local QStash: the v2 API the `@upstash/qstash` client speaks, signed deliveries
 * with retries, a DLQ, callbacks and cron schedules, all in memory.
 *
 * Retries follow QStash: any answer but 2xx fails the attempt, a 3xx included (redirects are
 * not followed); the next attempt waits for the response's `Retry-After` if it has one, else
 * `Upstash-Retry-Delay`, else QStash's backoff. An attempt answered after `Upstash-Timeout`
 * fails. Publishing over the plan's retry cap or message size is refused with QStash's error.
 * `/__local/faults` plays faults on its API (see `withFaults`); a `/__tag/<tag>` path prefix
 * scopes a fault to the requests sent under it (`QSTASH_URL=…/__tag/<tag>`).
 *
 * @example
 * const qstash = await startQStash({ port: 0, token, currentSigningKey, nextSigningKey,
 *   delivery: 'http', backoffScale: 1 });
 * const client = new Client({ baseUrl: qstash.url, token });
 */
export async function startQStash(options: QStashOptions): Promise<RunningService> {
  if (!(Number.isFinite(options.backoffScale) && options.backoffScale >= 0)) {
    throw new Error(`QStash backoffScale must be a number >= 0, got ${options.backoffScale}`);
  }
  const broker = createBroker({
    signingKey: options.currentSigningKey,
    backoffScale: options.backoffScale,
  });
  const scheduler = createScheduler(broker);
  const app = new Hono()
    .route('/', localAdmin({ broker, scheduler, delivery: options.delivery }))
    .route(
      '/',
      qstashApi({ ...options, broker, scheduler, plan: { ...DEFAULT_PLAN, ...options.plan } }),
    );
  const fetch = withFaults(app.fetch, {
    tagOf: pathTag,
    stripTag: true,
    errorBody: (_status, message) => ({ error: message }),
  });
  const server = await listenOnLoopback('qstash', fetch, options.port, options.host);
  const dispatcher = options.delivery === 'http' ? startHttpDispatcher(broker) : undefined;
  return {
    url: server.origin,
    async close() {
      dispatcher?.close();
      scheduler.close();
      await server.close();
    },
  };
}
