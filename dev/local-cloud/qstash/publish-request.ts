import { retryDelay } from './retry-delay';
import type { MessageDraft } from './types';

/** The limits of a QStash plan the local QStash enforces. */
export interface QStashPlan {
  /** The highest `Upstash-Retries` accepted. */
  maxRetries: number;
  /** `Upstash-Retries` when the publish sets none. */
  defaultRetries: number;
  /** Largest message body, in bytes. */
  maxMessageBytes: number;
}

/** Pay-as-you-go's caps (5 retries, 1 MiB messages), with 3 retries when none are asked. */
export const DEFAULT_PLAN: QStashPlan = {
  maxRetries: 5,
  defaultRetries: 3,
  maxMessageBytes: 1024 * 1024,
};

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A publish request QStash refuses; the API answers it as `{ error }` with `status`. */
export class PublishError extends Error {
  override name = 'PublishError';
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

/**
 * Reads a destination from the raw request path and query: `/v2/publish/https://x.dev/a?b=1`
 * names `https://x.dev/a?b=1`. Only URLs are supported (no URL groups or APIs).
 */
export function destinationFrom(rawPathAndQuery: string, prefix: string): string {
  const raw = rawPathAndQuery.slice(prefix.length);
  const destination = /^https?%3A/i.test(raw) ? decodeURIComponent(raw) : raw;
  if (!/^https?:\/\//.test(destination) || !URL.canParse(destination)) {
    throw new PublishError(
      `invalid destination url: ${destination} (the local QStash delivers only to http(s) URLs, not to URL groups or APIs)`,
    );
  }
  return destination;
}

/**
 * Turns the `Upstash-*` headers of a publish, enqueue, batch or schedule request into a
 * message draft: method, delay or not-before, retries, deduplication, callbacks, and the
 * headers to forward (`Upstash-Forward-X` becomes `X`; `Content-Type` passes as is).
 */
export function draftFromRequest(
  url: string,
  headers: Headers,
  body: Uint8Array,
  plan: QStashPlan,
  now = Date.now(),
): MessageDraft {
  const method = (headers.get('Upstash-Method') ?? 'POST').toUpperCase();
  if (!METHODS.has(method)) throw new PublishError(`invalid Upstash-Method: ${method}`);
  if (body.byteLength > plan.maxMessageBytes) {
    throw new PublishError(
      `message size exceeds the max message size of your plan: ${body.byteLength} > ${plan.maxMessageBytes} bytes`,
      413,
    );
  }
  const retryDelayExpression = headers.get('Upstash-Retry-Delay') ?? undefined;
  if (retryDelayExpression !== undefined) {
    try {
      retryDelay(retryDelayExpression);
    } catch (error) {
      throw new PublishError((error as Error).message);
    }
  }
  const timeout = headers.get('Upstash-Timeout');
  return {
    url,
    method,
    body,
    headers: forwardedHeaders(headers, 'Upstash-Forward-', true),
    maxRetries: parseRetries(headers.get('Upstash-Retries'), plan),
    retryDelay: retryDelayExpression,
    timeoutMs: timeout === null ? undefined : parseTimeout(timeout),
    notBefore: notBeforeOf(headers, now),
    callback: optionalUrl(headers.get('Upstash-Callback'), 'Upstash-Callback'),
    failureCallback: optionalUrl(
      headers.get('Upstash-Failure-Callback'),
      'Upstash-Failure-Callback',
    ),
    callbackHeaders: forwardedHeaders(headers, 'Upstash-Callback-Forward-', false),
    failureCallbackHeaders: forwardedHeaders(headers, 'Upstash-Failure-Callback-Forward-', false),
    deduplicationId: headers.get('Upstash-Deduplication-Id') ?? undefined,
    contentBasedDeduplication: headers.get('Upstash-Content-Based-Deduplication') === 'true',
    label: headers.get('Upstash-Label') ?? undefined,
  };
}

/** Parses a QStash duration such as `10s`, `5m`, `2h`, `1d` or `1h30m` into milliseconds. */
export function parseDuration(value: string, header = 'Upstash-Delay'): number {
  const parts = [...value.trim().matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value.trim()) {
    throw new PublishError(`invalid ${header}: ${value} (expected e.g. 10s, 5m, 2h, 1d)`);
  }
  return parts.reduce((total, [, amount, unit]) => {
    return total + Number(amount) * (DURATION_UNITS[unit ?? 's'] ?? 1_000);
  }, 0);
}

function notBeforeOf(headers: Headers, now: number): number {
  const notBefore = headers.get('Upstash-Not-Before');
  if (notBefore !== null) {
    if (!/^\d+$/.test(notBefore))
      throw new PublishError(`invalid Upstash-Not-Before: ${notBefore}`);
    return Number(notBefore) * 1000;
  }
  const delay = headers.get('Upstash-Delay');
  return delay === null ? now : now + parseDuration(delay);
}

function parseRetries(value: string | null, plan: QStashPlan): number {
  if (value === null) return plan.defaultRetries;
  if (!/^\d+$/.test(value)) throw new PublishError(`invalid Upstash-Retries: ${value}`);
  if (Number(value) > plan.maxRetries) {
    throw new PublishError(
      `Upstash-Retries ${value} exceeds the max retries of your plan: ${plan.maxRetries}`,
    );
  }
  return Number(value);
}

/** `Upstash-Timeout`: a duration (`30s`, `2m`) or bare seconds. */
function parseTimeout(value: string): number {
  return /^\d+$/.test(value) ? Number(value) * 1000 : parseDuration(value, 'Upstash-Timeout');
}

function optionalUrl(value: string | null, header: string): string | undefined {
  if (value === null) return undefined;
  if (!/^https?:\/\//.test(value)) throw new PublishError(`invalid ${header}: ${value}`);
  return value;
}

function forwardedHeaders(
  headers: Headers,
  prefix: string,
  withContentType: boolean,
): Record<string, string> {
  const forwarded: Record<string, string> = {};
  const lowerPrefix = prefix.toLowerCase();
  for (const [name, value] of headers) {
    if (name.startsWith(lowerPrefix)) forwarded[canonical(name.slice(prefix.length))] = value;
  }
  const contentType = headers.get('Content-Type');
  if (withContentType && contentType !== null) forwarded['Content-Type'] = contentType;
  return forwarded;
}

/** `my-header` → `My-Header`, as QStash (Go) presents header names. */
function canonical(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}
