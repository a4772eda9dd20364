import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';

const encoder = new TextEncoder();
const SIGNATURE_LIFETIME_SECONDS = 5 * 60;

/**
 * Signs a delivery the way QStash does: an HS256 JWT with `iss` "Upstash", `sub` the
 * destination URL and `body` the base64url SHA-256 of the raw body. The hash keeps its `=`
 * padding like QStash's own tokens, so receivers must tolerate it (`Receiver` strips it).
 *
 * @example
 * const signature = await signDelivery({ key: currentSigningKey, url, body });
 * headers.set('Upstash-Signature', signature);
 */
export async function signDelivery(input: {
  key: string;
  url: string;
  body: Uint8Array;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ body: sha256Base64Url(input.body) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('Upstash')
    .setSubject(input.url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + SIGNATURE_LIFETIME_SECONDS)
    .setJti(`jwt_${crypto.randomUUID().replaceAll('-', '')}`)
    .sign(encoder.encode(input.key));
}

function sha256Base64Url(body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest('base64');
  return digest.replaceAll('+', '-').replaceAll('/', '_');
}
