import { SignJWT } from 'jose';

const encoder = new TextEncoder();
const SIGNATURE_LIFETIME_SECONDS = 5 * 60;

export interface SignDeliveryInput {
  key: string;
  /** The destination URL (`sub`). */
  url: string;
  /** The raw body, hashed into `body`. */
  body: Uint8Array | string;
  /**
   * Seconds from now until `exp`; default 300, as QStash. A negative value makes an expired
   * signature (the validity window moves into the past), for tests of the receiving side;
   * `null` leaves `exp` out (a token a receiver must refuse).
   */
  expiresIn?: number | null;
  /** QStash signs with HS256; another HMAC algorithm is for tests of the receiving side. */
  alg?: 'HS256' | 'HS384' | 'HS512';
}

/**
 * Signs a delivery the way QStash does: an HS256 JWT with `iss` "Upstash", `sub` the
 * destination URL and `body` the base64url SHA-256 of the raw body. The hash keeps its `=`
 * padding like QStash's own tokens, so receivers must tolerate it (`Receiver` strips it).
 * The one signer of the project: the local QStash signs its deliveries with it, and tests
 * sign hand-made deliveries with it. Uses only WebCrypto, so it runs in Node and in workerd.
 *
 * @example
 * const signature = await signDelivery({ key: currentSigningKey, url, body });
 * headers.set('Upstash-Signature', signature);
 */
export async function signDelivery(input: SignDeliveryInput): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = now + (input.expiresIn ?? SIGNATURE_LIFETIME_SECONDS);
  const issuedAt = Math.min(now, expiresAt - SIGNATURE_LIFETIME_SECONDS);
  const jwt = new SignJWT({ body: await sha256Base64Url(input.body) })
    .setProtectedHeader({ alg: input.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer('Upstash')
    .setSubject(input.url)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setJti(`jwt_${crypto.randomUUID().replaceAll('-', '')}`);
  if (input.expiresIn !== null) jwt.setExpirationTime(expiresAt);
  return jwt.sign(encoder.encode(input.key));
}

async function sha256Base64Url(body: Uint8Array | string): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return btoa(String.fromCharCode(...digest))
    .replaceAll('+', '-')
    .replaceAll('/', '_');
}
