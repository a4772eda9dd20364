import { createHash } from 'node:crypto';
import { retryDelay } from './retry-delay';
import { signDelivery } from './signing';
import type {
  AttemptResult,
  Delivery,
  DeliveryFilter,
  DeliveryStatus,
  DlqEntry,
  MessageDraft,
  MessageState,
  StoredMessage,
} from './types';
import { callbackBody } from './views';

export interface BrokerOptions {
  signingKey: string;
  /** Multiplies QStash's retry backoff, min(86400, e^(2.5·retried)) seconds. */
  backoffScale: number;
  /** A claimed delivery with no result after this long counts as a failed attempt. */
  leaseMs?: number;
}

export type Broker = ReturnType<typeof createBroker>;

const WAITING_STATES: ReadonlySet<MessageState> = new Set(['CREATED', 'RETRY']);

/** Creates a prefixed random id in QStash's style (`msg_…`, `dlq_…`, `scd_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`;
}

/**
 * The message store and its lifecycle: publish (with deduplication), claim due deliveries,
 * record their outcome, retry with backoff, move exhausted messages to the DLQ, and publish
 * callbacks. Everything is in memory; `onChange` tells the HTTP dispatcher to look again.
 */
export function createBroker(options: BrokerOptions) {
  const leaseMs = options.leaseMs ?? 60_000;
  const messages = new Map<string, StoredMessage>();
  const deduplication = new Map<string, string>();
  const inFlight = new Map<string, string>();
  const dlq = new Map<string, DlqEntry>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };

  function publish(draft: MessageDraft): { messageId: string; deduplicated: boolean } {
    const key = deduplicationKey(draft);
    const existing = key === undefined ? undefined : deduplication.get(key);
    if (existing !== undefined) return { messageId: existing, deduplicated: true };
    const messageId = newId('msg');
    const createdAt = Date.now();
    messages.set(messageId, {
      ...draft,
      messageId,
      createdAt,
      state: 'CREATED',
      retried: 0,
      dueAt: draft.notBefore,
    });
    if (key !== undefined) deduplication.set(key, messageId);
    changed();
    return { messageId, deduplicated: false };
  }

  async function claim(filter: DeliveryFilter & { limit?: number } = {}): Promise<Delivery[]> {
    expireLeases();
    const now = Date.now();
    const busyQueues = new Set<string>();
    for (const message of messages.values()) {
      if (message.state === 'IN_PROGRESS' && message.queueName) busyQueues.add(message.queueName);
    }
    const due = [...messages.values()]
      .filter((m) => WAITING_STATES.has(m.state) && m.dueAt <= now && matches(m, filter))
      .sort((a, b) => a.dueAt - b.dueAt || a.createdAt - b.createdAt);
    const picked: StoredMessage[] = [];
    for (const message of due) {
      if (picked.length >= (filter.limit ?? Number.POSITIVE_INFINITY)) break;
      // A queue delivers one message at a time, in order (QStash's default parallelism of 1).
      if (message.queueName !== undefined) {
        if (busyQueues.has(message.queueName)) continue;
        busyQueues.add(message.queueName);
      }
      picked.push(message);
    }
    return Promise.all(picked.map(startDelivery));
  }

  async function startDelivery(message: StoredMessage): Promise<Delivery> {
    const deliveryId = newId('dlv');
    message.state = 'IN_PROGRESS';
    message.delivery = { deliveryId, claimedAt: Date.now() };
    inFlight.set(deliveryId, message.messageId);
    const signature = await signDelivery({
      key: options.signingKey,
      url: message.url,
      body: message.body,
    });
    return {
      deliveryId,
      messageId: message.messageId,
      url: message.url,
      method: message.method,
      retried: message.retried,
      bodyBase64: Buffer.from(message.body).toString('base64'),
      timeoutMs: message.timeoutMs,
      headers: {
        ...message.headers,
        'User-Agent': 'Upstash-QStash',
        'Upstash-Message-Id': message.messageId,
        'Upstash-Retried': String(message.retried),
        'Upstash-Caller-Ip': '127.0.0.1',
        ...(message.scheduleId !== undefined && { 'Upstash-Schedule-Id': message.scheduleId }),
        'Upstash-Signature': signature,
      },
    };
  }

  /** Records an attempt's outcome; false when the delivery is unknown or already settled. */
  function report(deliveryId: string, answer: AttemptResult): boolean {
    let result = answer;
    const message = messages.get(inFlight.get(deliveryId) ?? '');
    inFlight.delete(deliveryId);
    if (message?.delivery?.deliveryId !== deliveryId) return false;
    if (
      message.timeoutMs !== undefined &&
      Date.now() - message.delivery.claimedAt > message.timeoutMs
    ) {
      result = { status: 0, body: `the delivery timed out after ${message.timeoutMs} ms` };
    }
    message.delivery = undefined;
    message.lastResponse = result;
    const attempt = callbackBody(message, result);
    if (message.callback !== undefined) {
      publishCallback(message, message.callback, message.callbackHeaders, attempt);
    }
    if (result.status >= 200 && result.status < 300) {
      message.state = 'DELIVERED';
    } else if (message.retried < message.maxRetries && !isNonRetryable(result)) {
      message.retried += 1;
      message.state = 'RETRY';
      message.dueAt = Date.now() + retryDelayMs(message, result);
    } else {
      message.state = 'FAILED';
      const dlqId = newId('dlq');
      dlq.set(dlqId, { dlqId, message, response: result });
      if (message.failureCallback !== undefined) {
        const headers = message.failureCallbackHeaders;
        publishCallback(message, message.failureCallback, headers, { ...attempt, dlqId });
      }
    }
    changed();
    return true;
  }

  function publishCallback(
    source: StoredMessage,
    url: string,
    headers: Record<string, string>,
    payload: object,
  ): void {
    publish({
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: new TextEncoder().encode(JSON.stringify(payload)),
      maxRetries: source.maxRetries,
      notBefore: Date.now(),
      callbackHeaders: {},
      failureCallbackHeaders: {},
    });
  }

  /** QStash's "do not retry": status 489 with `Upstash-NonRetryable-Error: true`; straight to the DLQ. */
  function isNonRetryable(result: AttemptResult): boolean {
    const header = Object.entries(result.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'upstash-nonretryable-error',
    );
    return result.status === 489 && header?.[1] === 'true';
  }

  /**
   * The wait before the next attempt (`message.retried` already counts it): the response's
   * `Retry-After` (seconds or an HTTP date), else `Upstash-Retry-Delay` of the retries before
   * this one, else QStash's backoff.
   */
  function retryDelayMs(message: StoredMessage, result: AttemptResult): number {
    const retryAfter = retryAfterMs(result);
    const delay =
      retryAfter ??
      (message.retryDelay !== undefined
        ? retryDelay(message.retryDelay)(message.retried - 1)
        : Math.min(86_400, Math.exp(2.5 * message.retried)) * 1000);
    return delay * options.backoffScale;
  }

  function expireLeases(): void {
    const expiredBefore = Date.now() - leaseMs;
    for (const [deliveryId, messageId] of inFlight) {
      const message = messages.get(messageId);
      const claimedAt = message?.delivery?.claimedAt ?? 0;
      const timedOutBefore = Date.now() - (message?.timeoutMs ?? Number.POSITIVE_INFINITY);
      if (claimedAt < Math.max(expiredBefore, timedOutBefore)) {
        report(deliveryId, { status: 0, body: 'the delivery lease expired without a result' });
      }
    }
  }

  function status(filter: DeliveryFilter = {}): DeliveryStatus {
    expireLeases();
    const now = Date.now();
    const result: DeliveryStatus = { due: 0, waiting: 0, inFlight: 0, nextDueAt: null };
    for (const message of messages.values()) {
      if (!matches(message, filter)) continue;
      if (message.state === 'IN_PROGRESS') result.inFlight += 1;
      if (!WAITING_STATES.has(message.state)) continue;
      if (message.dueAt <= now) result.due += 1;
      else result.waiting += 1;
      result.nextDueAt = Math.min(result.nextDueAt ?? message.dueAt, message.dueAt);
    }
    return result;
  }

  /** Cancels messages not yet delivered; returns how many were cancelled. */
  function cancel(messageIds: Iterable<string>): number {
    let cancelled = 0;
    for (const messageId of messageIds) {
      const message = messages.get(messageId);
      if (!message || !(WAITING_STATES.has(message.state) || message.state === 'IN_PROGRESS')) {
        continue;
      }
      if (message.delivery) inFlight.delete(message.delivery.deliveryId);
      message.delivery = undefined;
      message.state = 'CANCELED';
      cancelled += 1;
    }
    if (cancelled > 0) changed();
    return cancelled;
  }

  /** Republishes DLQ entries as new messages, QStash's `dlq.retry`. */
  function retryFromDlq(dlqIds: Iterable<string>): string[] {
    const messageIds: string[] = [];
    for (const dlqId of dlqIds) {
      const entry = dlq.get(dlqId);
      if (!entry) continue;
      dlq.delete(dlqId);
      messageIds.push(publish({ ...draftOf(entry.message), notBefore: Date.now() }).messageId);
    }
    return messageIds;
  }

  return {
    publish,
    claim,
    report,
    status,
    cancel,
    retryFromDlq,
    /** A message QStash still holds (not delivered, failed or cancelled). */
    pendingMessage(messageId: string): StoredMessage | undefined {
      const message = messages.get(messageId);
      const pending =
        message && (WAITING_STATES.has(message.state) || message.state === 'IN_PROGRESS');
      return pending ? message : undefined;
    },
    messages(filter: DeliveryFilter = {}): StoredMessage[] {
      return [...messages.values()].filter((message) => matches(message, filter));
    },
    dlq(): DlqEntry[] {
      return [...dlq.values()];
    },
    deleteFromDlq(dlqIds: Iterable<string>): number {
      let deleted = 0;
      for (const dlqId of dlqIds) if (dlq.delete(dlqId)) deleted += 1;
      return deleted;
    },
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The publish-time fields of a message, without its deduplication id. */
function draftOf(message: MessageDraft): MessageDraft {
  return {
    url: message.url,
    method: message.method,
    headers: message.headers,
    body: message.body,
    maxRetries: message.maxRetries,
    retryDelay: message.retryDelay,
    timeoutMs: message.timeoutMs,
    notBefore: message.notBefore,
    callback: message.callback,
    failureCallback: message.failureCallback,
    callbackHeaders: message.callbackHeaders,
    failureCallbackHeaders: message.failureCallbackHeaders,
    label: message.label,
    queueName: message.queueName,
    scheduleId: message.scheduleId,
  };
}

function retryAfterMs(result: AttemptResult): number | undefined {
  const value = Object.entries(result.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'retry-after',
  )?.[1];
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function matches(message: StoredMessage, filter: DeliveryFilter): boolean {
  return filter.urlPrefix === undefined || message.url.startsWith(filter.urlPrefix);
}

/** Deduplication ids live as long as the process (QStash keeps them for 90 days). */
function deduplicationKey(draft: MessageDraft): string | undefined {
  if (draft.deduplicationId !== undefined) return `id:${draft.deduplicationId}`;
  if (!draft.contentBasedDeduplication) return undefined;
  const hash = createHash('sha256')
    .update(JSON.stringify([draft.url, draft.method, draft.headers]))
    .update(draft.body);
  return `content:${hash.digest('hex')}`;
}
