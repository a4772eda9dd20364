import { inject } from 'vitest';
import type { LocalCloudUrls } from '../../dev/local-cloud/bindings';
import type { Delivery, DeliveryStatus } from '../../dev/local-cloud/qstash/types';

/** A due delivery as the local QStash hands it out (`POST /__local/deliveries/claim`). */
type QStashDelivery = Delivery;

/** A delivery the handler received, with its answer. */
export interface DeliveredMessage {
  messageId: string;
  url: string;
  method: string;
  /** `Upstash-Retried` of this attempt: 0 for the first one. */
  retried: number;
  /** The request headers, `Upstash-Signature` and `Upstash-Message-Id` included. */
  headers: Record<string, string>;
  body: string;
  /** What the handler answered (500 when it threw). */
  status: number;
  responseBody: string;
}

/** A message as `GET /__local/messages` lists it. */
export interface LocalQStashMessage {
  messageId: string;
  state: 'CREATED' | 'RETRY' | 'IN_PROGRESS' | 'DELIVERED' | 'FAILED' | 'CANCELED';
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  retried: number;
  maxRetries: number;
  createdAt: number;
  /** When the next attempt may start (unix ms). */
  dueAt: number;
  scheduleId?: string;
  lastResponse?: { status: number; body?: string };
}

export interface DrainOptions {
  /**
   * Only destinations starting with this. Test files run in parallel against one local
   * QStash: give each its own destination host or path and drain only that.
   */
  urlPrefix?: string;
  /**
   * How long to wait with nothing to deliver for a message that is not due yet (a retry
   * backoff, a short delay) before returning. Default 5000 ms; 0 delivers only what is due.
   */
  maxWaitMs?: number;
  /** Throws past this many deliveries, which means a loop. Default 100. */
  maxDeliveries?: number;
}

/** The base URL of the local QStash that the global setup started. */
export function qstashUrl(): string {
  const urls: LocalCloudUrls = inject('localCloud');
  return urls.qstash;
}

/**
 * Delivers what the local QStash (in `pull` mode) has queued: claims due deliveries, sends
 * each to `handler` as the `Request` QStash would make (signed, with its `Upstash-*` headers),
 * reports the answer back, and repeats until nothing is due, waiting for retries and short
 * delays up to `maxWaitMs`. Answers drive retries, the DLQ and callbacks (which are
 * delivered to `handler` too, as QStash POSTs them).
 *
 * @returns every delivery made, in order.
 * @example
 * await client.publishJSON({ url: 'http://localhost:8787/api/v1/jobs/send-email', body });
 * const delivered = await drainDeliveries((request) => exports.default.fetch(request), {
 *   urlPrefix: 'http://localhost:8787/api/v1/jobs/',
 * });
 * expect(delivered.map((d) => d.status)).toEqual([200]);
 */
export async function drainDeliveries(
  handler: (request: Request) => Promise<Response>,
  options: DrainOptions = {},
): Promise<DeliveredMessage[]> {
  const { urlPrefix, maxWaitMs = 5_000, maxDeliveries = 100 } = options;
  const delivered: DeliveredMessage[] = [];
  let idleSince = Date.now();
  for (;;) {
    const claimed = await admin<QStashDelivery[]>('POST', '/__local/deliveries/claim', {
      urlPrefix,
    });
    for (const delivery of claimed) {
      delivered.push(await deliver(handler, delivery));
      if (delivered.length > maxDeliveries) {
        throw new Error(`drainDeliveries: more than ${maxDeliveries} deliveries, is it a loop?`);
      }
    }
    if (claimed.length > 0) {
      idleSince = Date.now();
      continue;
    }
    const query = urlPrefix === undefined ? '' : `?urlPrefix=${encodeURIComponent(urlPrefix)}`;
    const status = await admin<DeliveryStatus>('GET', `/__local/deliveries/status${query}`);
    if (status.due + status.waiting + status.inFlight === 0) return delivered;
    // Due but unclaimed, or in flight: another claimer holds the queue; look again shortly.
    const dueIn = status.due + status.inFlight > 0 ? 10 : (status.nextDueAt ?? 0) - Date.now();
    if (Date.now() + dueIn - idleSince > maxWaitMs) return delivered;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, dueIn)));
  }
}

/** Every message the local QStash holds (optionally under `urlPrefix`), with its state. */
export function localQStashMessages(urlPrefix?: string): Promise<LocalQStashMessage[]> {
  const query = urlPrefix === undefined ? '' : `?urlPrefix=${encodeURIComponent(urlPrefix)}`;
  return admin('GET', `/__local/messages${query}`);
}

/** Fires a schedule now, as if its cron had matched; returns the message it published. */
export async function triggerSchedule(scheduleId: string): Promise<string> {
  const { messageId } = await admin<{ messageId: string }>(
    'POST',
    `/__local/schedules/${encodeURIComponent(scheduleId)}/trigger`,
  );
  return messageId;
}

async function deliver(
  handler: (request: Request) => Promise<Response>,
  delivery: QStashDelivery,
): Promise<DeliveredMessage> {
  const bytes = Uint8Array.from(atob(delivery.bodyBase64), (char) => char.charCodeAt(0));
  const hasBody = delivery.method !== 'GET' && delivery.method !== 'HEAD';
  const request = new Request(delivery.url, {
    method: delivery.method,
    headers: delivery.headers,
    body: hasBody ? bytes : undefined,
  });
  let status: number;
  let responseBody: string;
  let responseHeaders: Record<string, string> = {};
  try {
    const response = await handler(request);
    status = response.status;
    responseBody = await response.text();
    responseHeaders = Object.fromEntries(response.headers);
  } catch (error) {
    status = 500;
    responseBody = error instanceof Error ? error.message : String(error);
  }
  await admin('POST', `/__local/deliveries/${delivery.deliveryId}/result`, {
    status,
    headers: responseHeaders,
    body: responseBody,
  });
  return {
    messageId: delivery.messageId,
    url: delivery.url,
    method: delivery.method,
    retried: delivery.retried,
    headers: delivery.headers,
    body: new TextDecoder().decode(bytes),
    status,
    responseBody,
  };
}

async function admin<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${qstashUrl()}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`local QStash ${method} ${path}: ${response.status} ${await response.text()}`);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}
