import { hmac } from '@oslojs/crypto/hmac';
import { SHA256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';

/** Where a keyset walk stopped: the list, its sort, and the last row's sort value and id. */
export interface CursorPosition {
  /** The list the cursor belongs to (`items`): another list refuses it. */
  list: string;
  sort: string;
  /** The sort column's value as Postgres prints it (`::text`), so no precision is lost. */
  key: string;
  id: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keys = new Map<string, Uint8Array>();

/** A key of its own for cursors, derived once per isolate from `SECRET_KEY`. */
function cursorKey(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = hmac(SHA256, encoder.encode(secret), encoder.encode('stratus list cursor v1'));
    keys.set(secret, key);
  }
  return key;
}

/**
 * An opaque, tamper-evident cursor: the position as base64url JSON and its HMAC-SHA256 under a
 * key derived from `secret`. Clients cannot forge or edit one, so the position it carries can
 * go into SQL as it is.
 *
 * @example
 * const next = encodeCursor(settings.SECRET_KEY, { list: 'items', sort: '-created_at', key, id });
 */
export function encodeCursor(secret: string, position: CursorPosition): string {
  const payload = encoder.encode(
    JSON.stringify([position.list, position.sort, position.key, position.id]),
  );
  const mac = hmac(SHA256, cursorKey(secret), payload);
  return `${encodeBase64urlNoPadding(payload)}.${encodeBase64urlNoPadding(mac)}`;
}

/** The position a cursor from {@link encodeCursor} carries, or undefined if it was tampered with. */
export function decodeCursor(secret: string, cursor: string): CursorPosition | undefined {
  const [payloadText, macText, extra] = cursor.split('.');
  if (!payloadText || !macText || extra !== undefined) return undefined;
  try {
    const payload = decodeBase64urlIgnorePadding(payloadText);
    const mac = decodeBase64urlIgnorePadding(macText);
    if (!constantTimeEqual(mac, hmac(SHA256, cursorKey(secret), payload))) return undefined;
    const [list, sort, key, id] = JSON.parse(decoder.decode(payload)) as unknown[];
    if (typeof list !== 'string' || typeof sort !== 'string' || typeof key !== 'string') {
      return undefined;
    }
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return undefined;
    return { list, sort, key, id };
  } catch {
    return undefined;
  }
}
