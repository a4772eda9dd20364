import { env } from 'cloudflare:test';
import { exportPKCS8, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authed,
  login,
  PASSWORD,
  registerUser,
  superuser,
  type TestUser,
  type Tokens,
} from '../../helpers/users';
import { API, call, readProblem } from '../../helpers/worker';

const secret = new TextEncoder().encode(env.SECRET_KEY);
const issuer = env.PUBLIC_BASE_URL;
const audience = `${env.PUBLIC_BASE_URL}${API}`;

interface Forge {
  alg?: string;
  typ?: string | null;
  iss?: string;
  aud?: string;
  sub?: string | null;
  ver?: unknown;
  sid?: unknown;
  exp?: number | null;
  nbf?: number;
  key?: Uint8Array | CryptoKey;
}

let victim: TestUser;
let tokens: Tokens;
let claims: { sub: string; ver: number; sid: string };

/** Signs a token like the real ones, with one thing changed. */
async function forge(changes: Forge = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { ver: claims.ver, sid: claims.sid };
  if ('ver' in changes) payload.ver = changes.ver;
  if ('sid' in changes) payload.sid = changes.sid;
  const header: Record<string, string> = { alg: changes.alg ?? 'HS256' };
  if (changes.typ !== null) header.typ = changes.typ ?? 'at+jwt';
  const jwt = new SignJWT(payload)
    .setProtectedHeader(header as { alg: string })
    .setIssuer(changes.iss ?? issuer)
    .setAudience(changes.aud ?? audience)
    .setIssuedAt(now)
    .setNotBefore(changes.nbf ?? now);
  if (changes.sub !== null) jwt.setSubject(changes.sub ?? claims.sub);
  if (changes.exp !== null) jwt.setExpirationTime(changes.exp ?? now + 600);
  return jwt.sign(changes.key ?? secret);
}

function decode(token: string) {
  const [, payload] = token.split('.');
  return JSON.parse(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as typeof claims;
}

async function expectRefused(send: Promise<Response> | Response) {
  const response = await send;
  expect(response.status).toBe(401);
  const problem = await readProblem(response);
  expect(problem.code).toBe('UNAUTHORIZED');
  return problem;
}

const me = (token: string) => authed(token, '/users/me');

beforeAll(async () => {
  victim = await registerUser();
  tokens = await login(victim);
  claims = decode(tokens.access_token);
});

describe('access tokens that are refused with 401', () => {
  it('accepts the genuine token (the control case)', async () => {
    expect((await me(tokens.access_token)).status).toBe(200);
    expect((await me(await forge())).status).toBe(200);
  });

  it('refuses a request without a token', async () => {
    await expectRefused(call(`${API}/users/me`));
  });

  it('refuses a Basic authorization header', async () => {
    await expectRefused(
      call(`${API}/users/me`, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }),
    );
  });

  it('refuses a Bearer token followed by anything else (issue 8)', async () => {
    for (const header of [
      `Bearer ${tokens.access_token} junk`,
      `Bearer ${tokens.access_token},Bearer x`,
      `Bearer ${tokens.access_token}\tjunk`,
    ]) {
      await expectRefused(call(`${API}/users/me`, { headers: { Authorization: header } }));
    }
  });

  it('refuses a string that is not a JWT', async () => {
    await expectRefused(me('not-a-jwt'));
  });

  it('refuses alg none', async () => {
    const unsigned = new UnsecuredJWT({ ver: claims.ver, sid: claims.sid })
      .setSubject(claims.sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .encode();
    await expectRefused(me(unsigned));
  });

  it('refuses an RS256 token (HS/RS confusion)', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    expect(await exportPKCS8(privateKey)).toContain('PRIVATE KEY');
    await expectRefused(me(await forge({ alg: 'RS256', key: privateKey })));
  });

  it('refuses HS512 even with the right secret (algorithm pinned)', async () => {
    await expectRefused(me(await forge({ alg: 'HS512' })));
  });

  it('refuses a token signed with another key', async () => {
    await expectRefused(
      me(
        await forge({ key: new TextEncoder().encode('another-secret-key-of-sufficient-length!') }),
      ),
    );
  });

  it('refuses a wrong issuer', async () => {
    await expectRefused(me(await forge({ iss: 'https://evil.example' })));
  });

  it('refuses a wrong audience', async () => {
    await expectRefused(me(await forge({ aud: 'https://other-api.example' })));
  });

  it('refuses a wrong typ', async () => {
    await expectRefused(me(await forge({ typ: 'JWT' })));
  });

  it('refuses a missing typ', async () => {
    await expectRefused(me(await forge({ typ: null })));
  });

  it('refuses an expired token', async () => {
    await expectRefused(me(await forge({ exp: Math.floor(Date.now() / 1000) - 120 })));
  });

  it('refuses a token without exp', async () => {
    await expectRefused(me(await forge({ exp: null })));
  });

  it('refuses a token whose nbf is in the future', async () => {
    await expectRefused(me(await forge({ nbf: Math.floor(Date.now() / 1000) + 3600 })));
  });

  it('refuses a tampered payload (another user id under the old signature)', async () => {
    const other = await registerUser();
    const [header, payload, signature] = tokens.access_token.split('.');
    const forged = JSON.parse(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/')));
    forged.sub = String(other.id);
    const tampered = btoa(JSON.stringify(forged))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
    await expectRefused(me(`${header}.${tampered}.${signature}`));
  });

  it('refuses a tampered signature', async () => {
    const [header, payload, signature = ''] = tokens.access_token.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    await expectRefused(me(`${header}.${payload}.${flipped}`));
  });

  it('refuses a token without a subject', async () => {
    await expectRefused(me(await forge({ sub: null })));
  });

  it('refuses a non-numeric subject', async () => {
    await expectRefused(me(await forge({ sub: 'admin' })));
  });

  it.each(['0', `0${'SUB'}`, `${'SUB'}.0`, `${'SUB'}e0`, `+${'SUB'}`, ` ${'SUB'}`])(
    'refuses a subject that is not the canonical integer: %s (issue 8)',
    async (shape) => {
      await expectRefused(me(await forge({ sub: shape.replace('SUB', claims.sub) })));
    },
  );

  it('refuses a token without a session', async () => {
    await expectRefused(me(await forge({ sid: undefined })));
  });

  it('refuses a token whose session claim is not a session id', async () => {
    await expectRefused(me(await forge({ sid: 42 })));
    await expectRefused(me(await forge({ sid: 'not-a-uuid' })));
  });

  it('refuses a token carrying another token version', async () => {
    await expectRefused(me(await forge({ ver: claims.ver + 1 })));
  });

  it('refuses a refresh token used as an access token', async () => {
    await expectRefused(me(tokens.refresh_token));
  });

  it('refuses a token issued before a password change', async () => {
    const user = await registerUser();
    const old = await login(user);
    const changed = await authed(old.access_token, '/users/me', {
      method: 'PATCH',
      body: JSON.stringify({ password: 'N3wPassword!', current_password: PASSWORD }),
    });
    expect(changed.status).toBe(200);
    await expectRefused(me(old.access_token));
    expect(
      (await me((await login({ ...user, password: 'N3wPassword!' })).access_token)).status,
    ).toBe(200);
  });

  it('refuses the token of a deactivated user', async () => {
    const admin = await superuser();
    const user = await registerUser();
    const own = await login(user);
    const patched = await authed(admin.tokens.access_token, `/users/${user.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ is_active: false }),
    });
    expect(patched.status).toBe(200);
    await expectRefused(me(own.access_token));
  });

  it('refuses the token of a deleted user', async () => {
    const admin = await superuser();
    const user = await registerUser();
    const own = await login(user);
    expect(
      (await authed(admin.tokens.access_token, `/users/${user.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    await expectRefused(me(own.access_token));
  });

  it('refuses a token whose session was ended from another device', async () => {
    const user = await registerUser();
    const laptop = await login(user);
    const phone = await login(user);
    const sessionId = decode(laptop.access_token).sid;
    const ended = await authed(phone.access_token, `/users/me/sessions/${sessionId}`, {
      method: 'DELETE',
    });
    expect(ended.status).toBe(204);
    await expectRefused(me(laptop.access_token));
    expect((await me(phone.access_token)).status).toBe(200);
  });
});
