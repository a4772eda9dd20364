import type { AttemptResult, DlqEntry, StoredMessage } from './types';

const CALLER_IP = '127.0.0.1';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A body as QStash shows it: `body` when it is UTF-8 text, `bodyBase64` otherwise. */
export function bodyFields(body: Uint8Array): { body?: string; bodyBase64?: string } {
  try {
    return { body: strictUtf8.decode(body) };
  } catch {
    return { bodyBase64: Buffer.from(body).toString('base64') };
  }
}

/** Headers as QStash's API lists them: each name with an array of values. */
export function headerView(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
}

/** The message as `GET /v2/messages/{id}` returns it (and the base of a DLQ entry). */
export function messageView(message: StoredMessage) {
  return {
    messageId: message.messageId,
    url: message.url,
    method: message.method,
    header: headerView(message.headers),
    ...bodyFields(message.body),
    maxRetries: message.maxRetries,
    notBefore: message.notBefore,
    createdAt: message.createdAt,
    callback: message.callback,
    failureCallback: message.failureCallback,
    queueName: message.queueName,
    scheduleId: message.scheduleId,
    label: message.label,
    labels: message.label === undefined ? undefined : [message.label],
    callerIp: CALLER_IP,
  };
}

/** A DLQ entry as `GET /v2/dlq` lists it, the fields `client.dlq.listMessages()` reads. */
export function dlqView(entry: DlqEntry) {
  const { body, bodyBase64 } = bodyFields(new TextEncoder().encode(entry.response.body ?? ''));
  return {
    ...messageView(entry.message),
    dlqId: entry.dlqId,
    retried: entry.message.retried,
    responseStatus: entry.response.status,
    responseHeader: headerView(entry.response.headers ?? {}),
    responseBody: body,
    responseBodyBase64: bodyBase64,
  };
}

/**
 * The JSON QStash POSTs to `Upstash-Callback` after each attempt (and, with a `dlqId`, to
 * `Upstash-Failure-Callback` once retries are exhausted): the response, base64 encoded, and
 * the source message.
 */
export function callbackBody(message: StoredMessage, result: AttemptResult) {
  return {
    status: result.status,
    header: headerView(result.headers ?? {}),
    body: Buffer.from(result.body ?? '').toString('base64'),
    retried: message.retried,
    maxRetries: message.maxRetries,
    sourceMessageId: message.messageId,
    url: message.url,
    method: message.method,
    sourceHeader: headerView(message.headers),
    sourceBody: Buffer.from(message.body).toString('base64'),
    notBefore: message.notBefore,
    createdAt: message.createdAt,
    scheduleId: message.scheduleId,
    callerIP: CALLER_IP,
  };
}

/** A message with its full local state, for `GET /__local/messages`. */
export function localMessageView(message: StoredMessage) {
  return {
    messageId: message.messageId,
    state: message.state,
    url: message.url,
    method: message.method,
    headers: message.headers,
    ...bodyFields(message.body),
    retried: message.retried,
    maxRetries: message.maxRetries,
    createdAt: message.createdAt,
    dueAt: message.dueAt,
    queueName: message.queueName,
    scheduleId: message.scheduleId,
    callback: message.callback,
    failureCallback: message.failureCallback,
    lastResponse: message.lastResponse,
  };
}
