/** QStash's message states, as its API and logs name them. */
export type MessageState =
  | 'CREATED'
  | 'RETRY'
  | 'IN_PROGRESS'
  | 'DELIVERED'
  | 'FAILED'
  | 'CANCELED';

/** What a publish asks for, once its headers are read. Times are unix milliseconds. */
export interface MessageDraft {
  url: string;
  method: string;
  /** Headers sent to the destination (forwarded ones without their prefix, `Content-Type`). */
  headers: Record<string, string>;
  body: Uint8Array;
  maxRetries: number;
  /** `Upstash-Retry-Delay`: milliseconds as an expression of `retried`. */
  retryDelay?: string;
  /** `Upstash-Timeout`: an attempt answering later than this fails. */
  timeoutMs?: number;
  notBefore: number;
  callback?: string;
  failureCallback?: string;
  callbackHeaders: Record<string, string>;
  failureCallbackHeaders: Record<string, string>;
  deduplicationId?: string;
  contentBasedDeduplication?: boolean;
  label?: string;
  queueName?: string;
  scheduleId?: string;
}

/** What the destination answered; `status` 0 means it could not be reached. */
export interface AttemptResult {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface StoredMessage extends MessageDraft {
  messageId: string;
  createdAt: number;
  state: MessageState;
  /** How many times the message has been retried so far (`Upstash-Retried`). */
  retried: number;
  /** When the next attempt may start. */
  dueAt: number;
  lastResponse?: AttemptResult;
  delivery?: { deliveryId: string; claimedAt: number };
}

export interface DlqEntry {
  dlqId: string;
  message: StoredMessage;
  response: AttemptResult;
}

/** One attempt to deliver a message: the exact request the destination must receive. */
export interface Delivery {
  deliveryId: string;
  messageId: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  bodyBase64: string;
  retried: number;
  /** The attempt fails unless answered within this (`Upstash-Timeout`). */
  timeoutMs?: number;
}

/** Restricts deliveries to destinations starting with `urlPrefix` (e.g. one test's host). */
export interface DeliveryFilter {
  urlPrefix?: string;
}

export interface DeliveryStatus {
  /** Due now and waiting to be claimed. */
  due: number;
  /** Waiting for their delay, not-before time or retry backoff. */
  waiting: number;
  inFlight: number;
  /** When the earliest waiting message becomes due (unix ms), or null. */
  nextDueAt: number | null;
}
