import { Client, Receiver } from '@upstash/qstash';
import { decodeJwt } from 'jose';
import { perSettings } from '../lib/per-settings';
import { type Settings, SettingsError } from '../settings';

export type QStash = Client;

function createQStash(settings: Settings): QStash {
  const { QSTASH_URL: baseUrl, QSTASH_TOKEN: token } = settings;
  if (!baseUrl || !token) {
    throw new SettingsError('QStash is not configured: set QSTASH_URL and QSTASH_TOKEN');
  }
  // `devMode: false`: never look for (or start) Upstash's dev server; the URL says where QStash is.
  return new Client({
    baseUrl,
    token,
    devMode: false,
    enableTelemetry: false,
    retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
  });
}

function createReceiver(settings: Settings): Receiver {
  const { QSTASH_CURRENT_SIGNING_KEY: currentSigningKey, QSTASH_NEXT_SIGNING_KEY: nextSigningKey } =
    settings;
  if (!currentSigningKey || !nextSigningKey) {
    throw new SettingsError(
      'QStash signing keys are not configured: set QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY',
    );
  }
  return new Receiver({ currentSigningKey, nextSigningKey, devMode: false });
}

const getReceiver = perSettings(createReceiver);

/**
 * The QStash client that publishes messages, one per isolate for these settings. Creating it
 * does no I/O.
 *
 * @throws {SettingsError} when `QSTASH_URL` or `QSTASH_TOKEN` is missing.
 * @example
 * await getQStash(settings).publishJSON({ url, body: { hello: 'world' } });
 */
export const getQStash: (settings: Settings) => QStash = perSettings(createQStash);

/** A QStash delivery as it reached the Worker: what its signature must cover. */
export interface SignedDelivery {
  /** The `Upstash-Signature` header, if any. */
  signature: string | undefined;
  /** The raw request body, exactly as received. */
  body: string;
  /** The URL QStash was asked to call, built from `PUBLIC_BASE_URL`, never from the request. */
  url: string;
}

/**
 * Whether a delivery really comes from QStash for this URL and body: the `Upstash-Signature`
 * JWT must verify with the current or the next signing key (so keys can rotate), be within
 * its `nbf`/`exp`, name `url` as its subject and carry the SHA-256 of `body`.
 *
 * @throws {SettingsError} when the signing keys are missing (a misconfiguration, not a forgery).
 * @example
 * const ok = await verifyDelivery(settings, { signature, body: await c.req.text(), url });
 */
export async function verifyDelivery(settings: Settings, delivery: SignedDelivery) {
  const receiver = getReceiver(settings);
  if (!delivery.signature) return false;
  try {
    return await receiver.verify({
      signature: delivery.signature,
      body: delivery.body,
      url: delivery.url,
    });
  } catch {
    return false;
  }
}

/**
 * The id of one signed delivery: the signature's `jti`. Every attempt QStash makes is signed
 * anew, so a second request with the same id is a replay of a captured one. Call only after
 * {@link verifyDelivery} accepted the signature.
 */
export function signatureId(signature: string): string {
  const { jti } = decodeJwt(signature);
  return jti ?? signature;
}
