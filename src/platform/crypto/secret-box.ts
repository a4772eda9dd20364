import { sha256 } from '@oslojs/crypto/sha2';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';

const VERSION = 'v1';

function aesKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    sha256(new TextEncoder().encode(secret)),
    'AES-GCM',
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * Encrypts a secret for storage with AES-256-GCM under a key derived from `secret` (SHA-256 of
 * it): `v1.<iv>.<ciphertext>`, base64url. A fresh 96-bit IV per call.
 *
 * @example
 * const stored = await encryptSecret(settings.OAUTH_TOKEN_ENCRYPTION_KEY, accessToken);
 */
export async function encryptSecret(secret: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    await aesKey(secret),
    new TextEncoder().encode(plaintext),
  );
  return [
    VERSION,
    encodeBase64urlNoPadding(iv),
    encodeBase64urlNoPadding(new Uint8Array(sealed)),
  ].join('.');
}

/** The plaintext of an {@link encryptSecret} result; throws when it was altered or the key differs. */
export async function decryptSecret(secret: string, stored: string): Promise<string> {
  const [version, iv, sealed] = stored.split('.');
  if (version !== VERSION || !iv || !sealed) throw new TypeError('Not an encrypted secret');
  const plaintext = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: decodeBase64urlIgnorePadding(iv) },
    await aesKey(secret),
    decodeBase64urlIgnorePadding(sealed),
  );
  return new TextDecoder().decode(plaintext);
}
