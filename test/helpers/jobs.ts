import { env } from 'cloudflare:test';
import { Client } from '@upstash/qstash';
import { signDelivery } from '../../dev/local-cloud/qstash/signing';
import { getSettings, type Settings } from '../../src/settings';
import { type DrainOptions, drainDeliveries, qstashUrl } from './qstash';
import { type Overrides, workerWith } from './worker';

const settingsCache = new Map<string, Settings>();

/** The settings the Worker sees under `overrides` (what `enqueue` takes). */
export function settingsWith(overrides: Overrides): Settings {
  const key = JSON.stringify(overrides);
  let settings = settingsCache.get(key);
  if (!settings) {
    settings = getSettings({ ...env, ...overrides });
    settingsCache.set(key, settings);
  }
  return settings;
}

/**
 * Hands the queued deliveries under `base` to the Worker running with `overrides`. Give each
 * test file its own `PUBLIC_BASE_URL` host: deliveries go there, so draining that prefix never
 * takes another file's messages.
 */
export function deliverJobs(base: string, overrides: Overrides = {}, options: DrainOptions = {}) {
  return drainDeliveries(workerWith({ PUBLIC_BASE_URL: base, ...overrides }), {
    urlPrefix: `${base}/`,
    maxWaitMs: 0,
    ...options,
  });
}

/** The real `@upstash/qstash` client on the local QStash (its DLQ, messages…). */
export function qstashClient(): Client {
  return new Client({ baseUrl: qstashUrl(), token: env.QSTASH_TOKEN, retry: false });
}

/**
 * An `Upstash-Signature` as QStash makes it (the local QStash's own signer), with knobs to
 * make it wrong: another key, another URL, or a validity window in the past.
 */
export function signLikeQStash(input: {
  url: string;
  body: string;
  key?: string;
  /** Seconds from now; negative for an expired signature, null for none. */
  expiresIn?: number | null;
  /** Another HMAC algorithm than QStash's HS256. */
  alg?: 'HS384' | 'HS512';
}): Promise<string> {
  return signDelivery({ ...input, key: input.key ?? env.QSTASH_CURRENT_SIGNING_KEY });
}

/** A delivery-shaped request to `url`, signed or not, as QStash would POST it. */
export function deliveryRequest(
  url: string,
  body: string,
  headers: Record<string, string | undefined> = {},
): Request {
  const defined = Object.entries({
    'Content-Type': 'application/json',
    'Upstash-Message-Id': `msg_test_${crypto.randomUUID().replaceAll('-', '')}`,
    'Upstash-Retried': '0',
    ...headers,
  }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return new Request(url, { method: 'POST', headers: defined, body });
}
