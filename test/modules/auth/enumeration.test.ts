import { describe, expect, it } from 'vitest';
import { loginForm, postJson, registerUser, uniqueEmail } from '../../helpers/users';

/** Headers that legitimately differ between two requests. */
const VARYING = new Set([
  'x-request-id',
  'x-process-time',
  'server-timing',
  'date',
  'ratelimit-remaining',
  'ratelimit-reset',
]);

async function comparable(response: Response) {
  const body = (await response.json()) as Record<string, unknown>;
  const { request_id: _, ...rest } = body;
  const headers = [...response.headers].filter(([name]) => !VARYING.has(name.toLowerCase())).sort();
  return { status: response.status, body: rest, headers };
}

describe('no account enumeration', () => {
  it('answers a wrong password and an unknown e-mail identically, except the request id', async () => {
    const user = await registerUser();
    const wrongPassword = await comparable(await loginForm(user.email, 'Wr0ngPassword'));
    const unknownEmail = await comparable(await loginForm(uniqueEmail('nobody'), 'Wr0ngPassword'));
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.body).toMatchObject({ code: 'LOGIN_BAD_CREDENTIALS' });
    expect(unknownEmail).toEqual(wrongPassword);
  });

  it('runs a password hash for an unknown e-mail, like for a wrong password', async () => {
    // Workers clocks advance only at I/O, and both paths do their database writes after the
    // hash, so each measurement includes it. Without the dummy hash the unknown path would
    // take a few percent of the other; the bound is loose so load on the machine cannot flake it.
    const user = await registerUser();
    const median = async (email: string) => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        expect((await loginForm(email, 'Wr0ngPassword')).status).toBe(400);
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[1] ?? 0;
    };
    const known = await median(user.email);
    const unknown = await median(uniqueEmail('nobody'));
    expect(unknown).toBeGreaterThan(known * 0.4);
  });

  it.each(['/auth/forgot-password', '/auth/request-verify-token'])(
    'answers %s identically for known and unknown e-mails',
    async (path) => {
      const user = await registerUser();
      const known = await comparable(await postJson(path, { email: user.email }));
      const unknown = await comparable(await postJson(path, { email: uniqueEmail('nobody') }));
      expect(known.status).toBe(202);
      expect(unknown).toEqual(known);
    },
  );
});
