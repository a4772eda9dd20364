import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase64urlNoPadding, encodeHexLowerCase } from '@oslojs/encoding';

/**
 * A random opaque token: 256 bits, base64url. Sent to the client once; only its
 * {@link hashToken} is stored, so a database leak reveals no usable token.
 */
export function generateToken(): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

/** SHA-256 of a token, hex: what the database stores and looks up. */
export function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}
