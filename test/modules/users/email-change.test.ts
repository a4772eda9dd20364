import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { oneTimeTokens } from '../../../src/platform/db/schema';
import { type MailMessage, tokenFrom, waitForMail } from '../../helpers/mail';
import {
  authed,
  login,
  loginForm,
  PASSWORD,
  postJson,
  registerUser,
  testDb,
  uniqueEmail,
} from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

const patchMe = (token: string, body: unknown) =>
  authed(token, '/users/me', { method: 'PATCH', body: JSON.stringify(body) });

/** Asks to move the account to a new address; returns the links both addresses received. */
async function requestChange(user: { email: string }, accessToken: string) {
  const next = uniqueEmail('moved');
  const response = await patchMe(accessToken, { email: next, current_password: PASSWORD });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ email: user.email });
  const [confirmation] = (await waitForMail(next)) as [MailMessage];
  const notice = (await waitForMail(user.email, 2)).at(-1) as MailMessage;
  return { next, confirm: tokenFrom(confirmation), report: tokenFrom(notice), notice };
}

describe('e-mail change (issue 8)', () => {
  it('needs the current password to change the e-mail, and changes nothing without it', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const next = uniqueEmail('takeover');
    const missing = await patchMe(access_token, { email: next });
    expect(missing.status).toBe(422);
    expect((await readProblem(missing)).errors?.[0]?.path).toBe('body.current_password');
    const wrong = await patchMe(access_token, { email: next, current_password: 'Wr0ngPass' });
    expect((await readProblem(wrong)).code).toBe('UPDATE_USER_BAD_CURRENT_PASSWORD');
    expect(await (await authed(access_token, '/users/me')).json()).toMatchObject({
      email: user.email,
    });
  });

  it('keeps the new address pending: the old one stays the login until the link sent to the new one is followed', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const { next, confirm, notice } = await requestChange(user, access_token);
    expect(notice.text).toContain('/report-email-change?token=');
    expect((await loginForm(user.email, PASSWORD)).status).toBe(200);
    expect((await loginForm(next, PASSWORD)).status).toBe(400);

    const confirmed = await postJson('/auth/verify', { token: confirm });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ email: next, is_verified: true });
    expect((await loginForm(next, PASSWORD)).status).toBe(200);
    expect((await loginForm(user.email, PASSWORD)).status).toBe(400);
  });

  it('lets the old address report a pending change: it is cancelled and every session ends', async () => {
    const user = await registerUser();
    const tokens = await login(user);
    const { confirm, report } = await requestChange(user, tokens.access_token);
    const reported = await postJson('/auth/report-email-change', { token: report });
    expect(reported.status).toBe(200);
    expect((await authed(tokens.access_token, '/users/me')).status).toBe(401);
    expect(
      (await postJson('/auth/jwt/refresh', { refresh_token: tokens.refresh_token })).status,
    ).toBe(401);
    const late = await postJson('/auth/verify', { token: confirm });
    expect((await readProblem(late)).code).toBe('VERIFY_USER_BAD_TOKEN');
    expect((await loginForm(user.email, PASSWORD)).status).toBe(200);
  });

  it('voids every outstanding link of the old address when the change is confirmed', async () => {
    const user = await registerUser(); // a verification link is outstanding
    expect((await postJson('/auth/forgot-password', { email: user.email })).status).toBe(202);
    const reset = (await waitForMail(user.email, 2)).find((m) => /reset/i.test(m.subject));
    const { access_token } = await login(user);
    const { confirm } = await requestChange(user, access_token);
    expect((await postJson('/auth/verify', { token: confirm })).status).toBe(200);

    const late = await postJson('/auth/reset-password', {
      token: tokenFrom(reset as MailMessage),
      password: 'Brand9NewPassword',
    });
    expect((await readProblem(late)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
    const outstanding = await testDb()
      .select()
      .from(oneTimeTokens)
      .where(and(eq(oneTimeTokens.userId, user.id), isNull(oneTimeTokens.usedAt)));
    // Only the report link of the old address is left, for the case it was not the owner.
    expect(outstanding.map((row) => row.purpose)).toEqual(['report_email_change']);
  });

  it('gives the old address back when it reports a change that was already confirmed', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const { next, confirm, report } = await requestChange(user, access_token);
    const confirmed = await postJson('/auth/verify', { token: confirm });
    expect(confirmed.status).toBe(200);
    expect((await postJson('/auth/forgot-password', { email: next })).status).toBe(202);
    const reset = (await waitForMail(next, 2)).find((m) => /reset/i.test(m.subject));

    expect((await postJson('/auth/report-email-change', { token: report })).status).toBe(200);
    expect((await loginForm(user.email, PASSWORD)).status).toBe(200);
    expect((await loginForm(next, PASSWORD)).status).toBe(400);
    const late = await postJson('/auth/reset-password', {
      token: tokenFrom(reset as MailMessage),
      password: 'Brand9NewPassword',
    });
    expect((await readProblem(late)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
  });

  it('replaces a pending change with a newer one', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const first = await requestChange(user, access_token);
    const next = uniqueEmail('second');
    await patchMe(access_token, { email: next, current_password: PASSWORD });
    const old = await postJson('/auth/verify', { token: first.confirm });
    expect((await readProblem(old)).code).toBe('VERIFY_USER_BAD_TOKEN');
  });
});
