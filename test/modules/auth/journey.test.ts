import { describe, expect, it } from 'vitest';
import { TokenSchema } from '../../../src/modules/auth/auth.schemas';
import { api } from '../../helpers/client';
import { type MailMessage, tokenFrom, waitForMail } from '../../helpers/mail';
import { bearer, clientIp, loginForm, PASSWORD, uniqueEmail } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

const refresh = (refresh_token: string) =>
  api.auth.jwt.refresh.$post(
    { json: { refresh_token } },
    { headers: { 'CF-Connecting-IP': clientIp() } },
  );
const me = (token: string) => api.users.me.$get({}, { headers: bearer(token) });

describe('the identity journey over HTTP', () => {
  it('registers, verifies by e-mail, logs in, refreshes, detects reuse, logs out', async () => {
    const email = uniqueEmail('journey');

    const registered = await api.auth.register.$post(
      {
        json: {
          email: email.toUpperCase(),
          password: PASSWORD,
          first_name: 'Jane',
          last_name: 'Doe',
        },
      },
      { headers: { 'CF-Connecting-IP': clientIp() } },
    );
    expect(registered.status).toBe(201);
    const user = await registered.json();
    expect(user).toMatchObject({ email, is_verified: false });

    const messages = await waitForMail(email);
    expect(messages).toHaveLength(1);
    const [verification] = messages as [MailMessage];
    expect(verification.subject).toMatch(/verify/i);
    expect(verification.text).toContain('/verify?token=');
    expect(verification.html).toContain('/verify?token=');
    const verified = await api.auth.verify.$post(
      { json: { token: tokenFrom(verification) } },
      { headers: { 'CF-Connecting-IP': clientIp() } },
    );
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ id: user.id, is_verified: true });

    // The login route takes a form or JSON, which hc's types cannot express: a plain request.
    const loggedIn = await loginForm(email, PASSWORD);
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.headers.get('Cache-Control')).toBe('no-store');
    const first = TokenSchema.parse(await loggedIn.json());
    expect(first).toMatchObject({ token_type: 'bearer', expires_in: 900 });

    const current = await me(first.access_token);
    expect(current.status).toBe(200);
    expect(await current.json()).toMatchObject({ id: user.id, email, is_verified: true });

    const refreshed = await refresh(first.refresh_token);
    expect(refreshed.status).toBe(200);
    const second = await refreshed.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(second.access_token)).status).toBe(200);

    const reused = await refresh(first.refresh_token);
    expect(reused.status).toBe(401);
    expect((await readProblem(reused)).code).toBe('REFRESH_TOKEN_INVALID');
    expect((await refresh(second.refresh_token)).status).toBe(401);
    expect((await me(second.access_token)).status).toBe(401);

    const again = TokenSchema.parse(await (await loginForm(email, PASSWORD)).json());
    expect((await me(again.access_token)).status).toBe(200);
    const loggedOut = await api.auth.jwt.logout.$post({}, { headers: bearer(again.access_token) });
    expect(loggedOut.status).toBe(204);
    const refused = await me(again.access_token);
    expect(refused.status).toBe(401);
    expect((await readProblem(refused)).code).toBe('UNAUTHORIZED');
    expect(refused.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect((await refresh(again.refresh_token)).status).toBe(401);
  });
});
