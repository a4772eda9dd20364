import { Client } from '@upstash/qstash';
import { base64url, decodeJwt, jwtVerify } from 'jose';
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

const encoder = new TextEncoder();

/** The current and the next signing key, in the order they are tried. */
function signingKeys(settings: Settings): [Uint8Array, Uint8Array] {
  const { QSTASH_CURRENT_SIGNING_KEY: current, QSTASH_NEXT_SIGNING_KEY: next } = settings;
  if (!current || !next) {
    throw new SettingsError(
      'QStash signing keys are not configured: set QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY',
    );
  }
  return [encoder.encode(current), encoder.encode(next)];
}

const getSigningKeys = perSettings(signingKeys);

/** QStash signs with HS256 only; pinning it refuses `none` and any other algorithm. */
const SIGNATURE_ALGORITHM = 'HS256';

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
 * JWT must verify with HS256 (pinned) and the current or the next signing key (so keys can
 * rotate), carry an `exp` it is within (and its `nbf`), name `url` as its subject and carry the
 * SHA-256 of `body`.
 *
 * @throws {SettingsError} when the signing keys are missing (a misconfiguration, not a forgery).
 * @example
 * const ok = await verifyDelivery(settings, { signature, body: await c.req.text(), url });
 */
export async function verifyDelivery(settings: Settings, delivery: SignedDelivery) {
  const keys = getSigningKeys(settings);
  if (!delivery.signature) return false;
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(delivery.body));
  const bodyHash = base64url.encode(new Uint8Array(digest));
  for (const key of keys) {
    if (await verifiesWith(key, delivery.signature, delivery.url, bodyHash)) return true;
  }
  return false;
}

/** One key's verdict on a signature: algorithm, issuer, subject, `exp`/`nbf` and body hash. */
async function verifiesWith(key: Uint8Array, signature: string, url: string, bodyHash: string) {
  try {
    const { payload } = await jwtVerify(signature, key, {
      algorithms: [SIGNATURE_ALGORITHM],
      issuer: 'Upstash',
      subject: url,
      requiredClaims: ['exp', 'body'],
    });
    // QStash keeps the base64 padding of the hash; the comparison ignores it.
    return typeof payload.body === 'string' && payload.body.replace(/=+$/, '') === bodyHash;
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
