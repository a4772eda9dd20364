import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { oneTimeTokens } from '../../../src/platform/db/schema';
import { type MailMessage, tokenFrom, waitForMail } from '../../helpers/mail';
import { authed, login, loginForm, postJson, registerUser, testDb } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

const NEW_PASSWORD = 'Brand9NewPassword';

async function resetToken(email: string) {
  expect((await postJson('/auth/forgot-password', { email })).status).toBe(202);
  const messages = await waitForMail(email, 2); // the verification e-mail, then the reset link
  const reset = messages.find((message) => /reset/i.test(message.subject));
  if (!reset) throw new Error('no reset e-mail');
  return tokenFrom(reset);
}

describe('password reset', () => {
  it('sets the new password, ends every session, and e-mails a notice', async () => {
    const user = await registerUser();
    const before = await login(user);
    const token = await resetToken(user.email);

    const reset = await postJson('/auth/reset-password', { token, password: NEW_PASSWORD });
    expect(reset.status).toBe(200);

    expect((await authed(before.access_token, '/users/me')).status).toBe(401);
    expect(
      (await postJson('/auth/jwt/refresh', { refresh_token: before.refresh_token })).status,
    ).toBe(401);
    expect((await loginForm(user.email, user.password)).status).toBe(400);
    expect((await loginForm(user.email, NEW_PASSWORD)).status).toBe(200);
    const notices = await waitForMail(user.email, 3);
    expect(notices.at(-1)?.subject).toMatch(/password.*changed/i);
  });

  it('accepts a reset token once: the second use is RESET_PASSWORD_BAD_TOKEN', async () => {
    const user = await registerUser();
    const token = await resetToken(user.email);
    expect((await postJson('/auth/reset-password', { token, password: NEW_PASSWORD })).status).toBe(
      200,
    );
    const again = await postJson('/auth/reset-password', { token, password: 'Another1Password' });
    expect(again.status).toBe(400);
    expect((await readProblem(again)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
    expect((await loginForm(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('voids every other outstanding reset link when a reset succeeds (issue 8)', async () => {
    const user = await registerUser();
    const first = await resetToken(user.email);
    expect((await postJson('/auth/forgot-password', { email: user.email })).status).toBe(202);
    const second = tokenFrom((await waitForMail(user.email, 3)).at(-1) as MailMessage);
    expect(
      (await postJson('/auth/reset-password', { token: second, password: NEW_PASSWORD })).status,
    ).toBe(200);
    const late = await postJson('/auth/reset-password', { token: first, password: 'Other1Pass' });
    expect((await readProblem(late)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
    expect((await loginForm(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('voids outstanding reset links when the password is changed (issue 8)', async () => {
    const user = await registerUser();
    const token = await resetToken(user.email);
    const { access_token } = await login(user);
    const changed = await authed(access_token, '/users/me', {
      method: 'PATCH',
      body: JSON.stringify({ password: NEW_PASSWORD, current_password: user.password }),
    });
    expect(changed.status).toBe(200);
    const late = await postJson('/auth/reset-password', { token, password: 'Other1Pass' });
    expect((await readProblem(late)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
    expect((await loginForm(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('refuses an expired reset token and leaves the password unchanged', async () => {
    const user = await registerUser();
    const token = await resetToken(user.email);
    await testDb()
      .update(oneTimeTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(oneTimeTokens.userId, user.id));
    const expired = await postJson('/auth/reset-password', { token, password: NEW_PASSWORD });
    expect((await readProblem(expired)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
    expect((await loginForm(user.email, user.password)).status).toBe(200);
  });

  it('refuses an unknown token and a weak new password', async () => {
    const unknown = await postJson('/auth/reset-password', {
      token: 'nope',
      password: NEW_PASSWORD,
    });
    expect((await readProblem(unknown)).code).toBe('RESET_PASSWORD_BAD_TOKEN');
    const weak = await postJson('/auth/reset-password', { token: 'nope', password: 'short' });
    expect(weak.status).toBe(422);
  });
});

describe('e-mail verification', () => {
  it('accepts a verification token once: the second use is VERIFY_USER_BAD_TOKEN', async () => {
    const user = await registerUser();
    const [message] = (await waitForMail(user.email)) as [MailMessage];
    const token = tokenFrom(message);
    expect((await postJson('/auth/verify', { token })).status).toBe(200);
    const again = await postJson('/auth/verify', { token });
    expect(again.status).toBe(400);
    expect((await readProblem(again)).code).toBe('VERIFY_USER_BAD_TOKEN');
  });

  it('refuses an expired verification token and leaves the user unverified', async () => {
    const user = await registerUser();
    const [message] = (await waitForMail(user.email)) as [MailMessage];
    await testDb()
      .update(oneTimeTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(oneTimeTokens.userId, user.id));
    const expired = await postJson('/auth/verify', { token: tokenFrom(message) });
    expect((await readProblem(expired)).code).toBe('VERIFY_USER_BAD_TOKEN');
    const { access_token } = await login(user);
    expect(await (await authed(access_token, '/users/me')).json()).toMatchObject({
      is_verified: false,
    });
  });

  it('sends a new link on request, and none to a verified account', async () => {
    const user = await registerUser();
    await waitForMail(user.email);
    expect((await postJson('/auth/request-verify-token', { email: user.email })).status).toBe(202);
    const [, second] = (await waitForMail(user.email, 2)) as [MailMessage, MailMessage];
    expect((await postJson('/auth/verify', { token: tokenFrom(second) })).status).toBe(200);
    expect((await postJson('/auth/request-verify-token', { email: user.email })).status).toBe(202);
    await expect(waitForMail(user.email, 3, 1500)).rejects.toThrow(/expected 3/);
  });
});
