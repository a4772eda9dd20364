import { afterEach, describe, expect, it } from 'vitest';
import { faultScope } from '../helpers/faults';
import { capturingLogs } from '../helpers/logs';
import { waitForMail } from '../helpers/mail';
import { clientIp, loginForm, PASSWORD, uniqueEmail } from '../helpers/users';
import { API, callWith, readProblem } from '../helpers/worker';

const faults = faultScope();
afterEach(() => faults.clear());

const post = (path: string, body: unknown) =>
  callWith({ ...faults.settings, LOG_LEVEL: 'warn' }, `${API}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
    body: JSON.stringify(body),
  });

describe('QStash down (issue 15)', () => {
  it('still registers the user (201, outage logged); another verification e-mail can be asked for once QStash is back', async () => {
    const email = uniqueEmail('queue-down');
    await faults.set('qstash', { mode: 'down' });
    const { result: registered, lines } = await capturingLogs('error', () =>
      post('/auth/register', {
        email,
        password: PASSWORD,
        first_name: 'Ada',
        last_name: 'Lovelace',
      }),
    );
    expect(registered.status).toBe(201);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'verification e-mail not queued: the job queue is unreachable',
      }),
    );
    expect((await loginForm(email, PASSWORD)).status).toBe(200);

    await faults.clear();
    expect((await post('/auth/request-verify-token', { email })).status).toBe(202);
    const [mail] = await waitForMail(email);
    expect(mail?.subject).toMatch(/verify/i);
  });

  it('saves a password change and logs its lost notice rather than deny a change that happened', async () => {
    const email = uniqueEmail('queue-down-password');
    await post('/auth/register', {
      email,
      password: PASSWORD,
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
    const { access_token } = (await (await loginForm(email, PASSWORD)).json()) as {
      access_token: string;
    };
    await faults.set('qstash', { mode: 'down' });
    const { result: changed, lines } = await capturingLogs('error', () =>
      callWith({ ...faults.settings, LOG_LEVEL: 'warn' }, `${API}/users/me`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${access_token}` },
        body: JSON.stringify({ password: 'N3wPassword1', current_password: PASSWORD }),
      }),
    );
    expect(changed.status).toBe(200);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'password-changed notice not queued: the job queue is unreachable',
      }),
    );
    expect((await loginForm(email, 'N3wPassword1')).status).toBe(200);
  });

  it('answers 503 with Retry-After to a request whose whole point is the e-mail (an e-mail change), which works once QStash is back', async () => {
    const email = uniqueEmail('queue-down-change');
    const registered = await post('/auth/register', {
      email,
      password: PASSWORD,
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
    expect(registered.status).toBe(201);
    const login = await loginForm(email, PASSWORD);
    const { access_token } = (await login.json()) as { access_token: string };
    const change = () =>
      callWith({ ...faults.settings, LOG_LEVEL: 'warn' }, `${API}/users/me`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${access_token}` },
        body: JSON.stringify({ email: uniqueEmail('new'), current_password: PASSWORD }),
      });

    await faults.set('qstash', { mode: 'down' });
    const refused = await capturingLogs('error', change);
    expect(refused.result.status).toBe(503);
    expect(refused.result.headers.get('Retry-After')).toBe('5');
    expect(await readProblem(refused.result)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      detail: 'The job queue is unreachable; try again later',
    });

    await faults.clear();
    expect((await change()).status).toBe(200);
  });
});
