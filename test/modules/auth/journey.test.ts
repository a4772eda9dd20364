import { describe, expect, it } from 'vitest';
import { type MailMessage, tokenFrom, waitForMail } from '../../helpers/mail';
import {
  authed,
  clientIp,
  loginForm,
  PASSWORD,
  postJson,
  type Tokens,
  uniqueEmail,
} from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

describe('the identity journey over HTTP', () => {
  it('registers, verifies by e-mail, logs in, refreshes, detects reuse, logs out', async () => {
    const email = uniqueEmail('journey');
    const ip = clientIp();

    const registered = await postJson(
      '/auth/register',
      { email: email.toUpperCase(), password: PASSWORD, first_name: 'Jane', last_name: 'Doe' },
      { 'CF-Connecting-IP': ip },
    );
    expect(registered.status).toBe(201);
    const user = (await registered.json()) as { id: number; email: string; is_verified: boolean };
    expect(user).toMatchObject({ email, is_verified: false });

    const messages = await waitForMail(email);
    expect(messages).toHaveLength(1);
    const [verification] = messages as [MailMessage];
    expect(verification.subject).toMatch(/verify/i);
    expect(verification.text).toContain('/verify?token=');
    expect(verification.html).toContain('/verify?token=');
    const verified = await postJson('/auth/verify', { token: tokenFrom(verification) });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ id: user.id, is_verified: true });

    const loggedIn = await loginForm(email, PASSWORD);
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.headers.get('Cache-Control')).toBe('no-store');
    const first = (await loggedIn.json()) as Tokens;
    expect(first).toMatchObject({ token_type: 'bearer', expires_in: 900 });

    const me = await authed(first.access_token, '/users/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: user.id, email, is_verified: true });

    const refreshed = await postJson('/auth/jwt/refresh', { refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await authed(second.access_token, '/users/me')).status).toBe(200);

    const reused = await postJson('/auth/jwt/refresh', { refresh_token: first.refresh_token });
    expect(reused.status).toBe(401);
    expect((await readProblem(reused)).code).toBe('REFRESH_TOKEN_INVALID');
    const revoked = await postJson('/auth/jwt/refresh', { refresh_token: second.refresh_token });
    expect(revoked.status).toBe(401);
    expect((await authed(second.access_token, '/users/me')).status).toBe(401);

    const again = (await (await loginForm(email, PASSWORD)).json()) as Tokens;
    expect((await authed(again.access_token, '/users/me')).status).toBe(200);
    const loggedOut = await authed(again.access_token, '/auth/jwt/logout', { method: 'POST' });
    expect(loggedOut.status).toBe(204);
    const refused = await authed(again.access_token, '/users/me');
    expect(refused.status).toBe(401);
    expect((await readProblem(refused)).code).toBe('UNAUTHORIZED');
    expect(refused.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(
      (await postJson('/auth/jwt/refresh', { refresh_token: again.refresh_token })).status,
    ).toBe(401);
  });
});
