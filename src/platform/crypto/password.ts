import { scrypt } from 'node:crypto';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeBase64IgnorePadding, encodeBase64NoPadding } from '@oslojs/encoding';

/** scrypt cost: OWASP's cheapest row (N=2^14, r=8, p=5), 16 MiB per hash; ~200 ms CPU (BENCHMARKS.md). */
export const SCRYPT_PARAMS = { ln: 14, r: 8, p: 5 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Uint8Array, { ln, r, p }: ScryptParams, length: number) {
  return new Promise<Uint8Array>((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      length,
      { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r },
      (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
    );
  });
}

/**
 * Hashes a password with scrypt into a PHC string that carries its parameters:
 * `$scrypt$ln=14,r=8,p=5$<salt>$<hash>` (base64 without padding).
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH));
  const key = await derive(password, salt, SCRYPT_PARAMS, KEY_LENGTH);
  const { ln, r, p } = SCRYPT_PARAMS;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${encodeBase64NoPadding(salt)}$${encodeBase64NoPadding(key)}`;
}

function parse(phc: string): { params: ScryptParams; salt: Uint8Array; key: Uint8Array } | null {
  const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
    phc,
  );
  if (!match) return null;
  const [, ln, r, p, salt, key] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    params: { ln: Number(ln), r: Number(r), p: Number(p) },
    salt: decodeBase64IgnorePadding(salt),
    key: decodeBase64IgnorePadding(key),
  };
}

export interface PasswordCheck {
  valid: boolean;
  /** The hash was made with other parameters than today's: store a fresh one. */
  needsRehash: boolean;
}

/** Verifies a password against a PHC string, in constant time for the comparison. */
export async function verifyPassword(password: string, phc: string): Promise<PasswordCheck> {
  const parsed = parse(phc);
  if (!parsed) return { valid: false, needsRehash: false };
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  const valid = constantTimeEqual(key, parsed.key);
  const { ln, r, p } = parsed.params;
  const current = ln === SCRYPT_PARAMS.ln && r === SCRYPT_PARAMS.r && p === SCRYPT_PARAMS.p;
  return { valid, needsRehash: valid && !current };
}

/**
 * A real hash, with today's parameters, of a random password that was thrown away. Logging in with an
 * unknown e-mail verifies against it, so that path costs the same time as a wrong password and
 * response timing does not reveal which e-mails have accounts.
 */
export const DUMMY_PASSWORD_HASH =
  '$scrypt$ln=14,r=8,p=5$Dd+YtWS1eN8x1yRV+vWI8w$hnX7qEUTSIQ9x8OK0wTnPSb0xCnZ6uAs8NSuCajooNo';

/** Runs a verification whose result is thrown away: the unknown-account path of login. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await verifyPassword(password, DUMMY_PASSWORD_HASH);
}
