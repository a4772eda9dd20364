import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  SCRYPT_PARAMS,
  verifyPassword,
} from '../../src/platform/crypto/password';
import { users } from '../../src/platform/db/schema';
import { login, PASSWORD, registerUser, testDb } from '../helpers/users';

describe('password hashing', () => {
  it('uses OWASP-grade scrypt parameters within the Workers memory budget', () => {
    const { ln, r, p } = SCRYPT_PARAMS;
    expect(2 ** ln).toBeGreaterThanOrEqual(2 ** 14);
    expect(r).toBeGreaterThanOrEqual(8);
    expect(p).toBeGreaterThanOrEqual(5);
    expect(2 ** ln * r * p).toBeLessThanOrEqual(2 ** 20);
  });

  it('stores a PHC string with its parameters and a 16-byte salt', async () => {
    const hash = await hashPassword(PASSWORD);
    const match =
      /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/.exec(hash);
    expect(match?.slice(1, 4)).toEqual([
      String(SCRYPT_PARAMS.ln),
      String(SCRYPT_PARAMS.r),
      String(SCRYPT_PARAMS.p),
    ]);
    expect(await hashPassword(PASSWORD)).not.toBe(hash);
  });

  it('verifies the right password only', async () => {
    const hash = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, hash)).toEqual({ valid: true, needsRehash: false });
    expect((await verifyPassword('Str0ngPassworD', hash)).valid).toBe(false);
    expect((await verifyPassword(PASSWORD, 'not-a-phc-string')).valid).toBe(false);
  });

  it('keeps the dummy hash at the current parameters, so the unknown-user path costs the same', () => {
    const { ln, r, p } = SCRYPT_PARAMS;
    expect(DUMMY_PASSWORD_HASH.startsWith(`$scrypt$ln=${ln},r=${r},p=${p}$`)).toBe(true);
  });

  it('upgrades a hash made with older parameters at the next login', async () => {
    const user = await registerUser();
    const weak = await new Promise<string>((resolve, reject) => {
      import('node:crypto').then(({ scrypt }) => {
        const salt = crypto.getRandomValues(new Uint8Array(16));
        scrypt(PASSWORD, salt, 32, { N: 2 ** 10, r: 8, p: 1 }, (error, key) => {
          if (error) return reject(error);
          const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, '');
          resolve(`$scrypt$ln=10,r=8,p=1$${b64(salt)}$${b64(new Uint8Array(key))}`);
        });
      });
    });
    expect((await verifyPassword(PASSWORD, weak)).needsRehash).toBe(true);
    await testDb().update(users).set({ hashedPassword: weak }).where(eq(users.id, user.id));
    await login(user);
    const [row] = await testDb()
      .select({ hash: users.hashedPassword })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.hash).toMatch(
      new RegExp(
        `^\\$scrypt\\$ln=${SCRYPT_PARAMS.ln},r=${SCRYPT_PARAMS.r},p=${SCRYPT_PARAMS.p}\\$`,
      ),
    );
    expect((await verifyPassword(PASSWORD, row?.hash ?? '')).valid).toBe(true);
  });
});
