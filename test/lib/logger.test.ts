import { env } from 'cloudflare:test';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../src/lib/logger';
import { sendMail } from '../../src/platform/mail';
import { getSettings } from '../../src/settings';
import { capturingLogs, type LogLine } from '../helpers/logs';

const settings = getSettings(env);

async function written(log: (logger: ReturnType<typeof createLogger>) => void): Promise<LogLine> {
  const { lines } = await capturingLogs('error', async () =>
    log(createLogger(settings, { request_id: 'r-1' })),
  );
  expect(lines).toHaveLength(1);
  return lines[0] as LogLine;
}

const jwt = () =>
  new SignJWT({ sub: '42' })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(settings.SECRET_KEY));

describe('log redaction (issue 15)', () => {
  it('redacts secret fields at any depth, in objects and arrays, and keeps the useful ones', async () => {
    const line = await written((logger) =>
      logger.error('login failed', {
        password: 'Str0ngPassword',
        policy: 'auth',
        one_time_tokens: 3,
        request: {
          headers: { Authorization: 'Bearer abc.def.ghi', Cookie: 'sid=1', 'X-Api-Key': 'k1' },
          body: { email: 'ada@example.com', new_password: 'N3wPassword', refresh_token: 'r' },
        },
        attempts: [{ current_password: 'x', at: 1 }, { client_secret: { nested: 'y' } }],
        'set-cookie': ['__Host-stratus_auth=eyJ'],
        signing_key: 'sig',
        database_url: 'postgresql://a:b@c/d',
      }),
    );

    expect(line).toEqual({
      level: 'error',
      message: 'login failed',
      request_id: 'r-1',
      password: REDACTED,
      policy: 'auth',
      one_time_tokens: 3,
      request: {
        headers: { Authorization: REDACTED, Cookie: REDACTED, 'X-Api-Key': REDACTED },
        body: { email: 'ada@example.com', new_password: REDACTED, refresh_token: REDACTED },
      },
      attempts: [{ current_password: REDACTED, at: 1 }, { client_secret: REDACTED }],
      'set-cookie': REDACTED,
      signing_key: REDACTED,
      database_url: REDACTED,
    });
  });

  it('redacts the secret settings, JWTs, bearer credentials, URL passwords and token parameters inside strings', async () => {
    const token = await jwt();
    const line = await written((logger) =>
      logger.error(`signing with ${settings.SECRET_KEY} failed`, {
        detail: `QStash refused ${settings.QSTASH_CURRENT_SIGNING_KEY} and ${settings.UPSTASH_REDIS_REST_TOKEN}`,
        header: `Authorization: Bearer opaque-credential-123`,
        note: `got ${token} from the client`,
        url: 'postgresql://stratus:hunter22@db.example.com/app',
        link: 'https://app.example.com/verify?token=abcdefgh1234&next=%2Fhome',
        callback: '/auth/github/callback?code=gho_123456&state=s1',
      }),
    );

    const text = JSON.stringify(line);
    for (const secret of [
      settings.SECRET_KEY,
      settings.QSTASH_CURRENT_SIGNING_KEY,
      settings.UPSTASH_REDIS_REST_TOKEN,
      token,
      'opaque-credential-123',
      'hunter22',
      'abcdefgh1234',
      'gho_123456',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      message: `signing with ${REDACTED} failed`,
      header: `Authorization: Bearer ${REDACTED}`,
      note: `got ${REDACTED} from the client`,
      url: `postgresql://stratus:${REDACTED}@db.example.com/app`,
      link: `https://app.example.com/verify?token=${REDACTED}&next=%2Fhome`,
      callback: `/auth/github/callback?code=${REDACTED}&state=s1`,
    });
  });

  it('writes an error with its stack, own fields and causes, all redacted', async () => {
    const token = await jwt();
    const root = new Error(`upstream answered 401 to Bearer ${token}`);
    const error = Object.assign(new Error(`${settings.SECRET_KEY} rejected`, { cause: root }), {
      status: 502,
      token: 'opaque',
    });
    const line = await written((logger) => logger.error('request failed', { error }));

    expect(line.error).toMatchObject({
      name: 'Error',
      message: `${REDACTED} rejected`,
      stack: expect.stringContaining(`${REDACTED} rejected`),
      status: 502,
      token: REDACTED,
      cause: { name: 'Error', message: `upstream answered 401 to Bearer ${REDACTED}` },
    });
    expect(JSON.stringify(line)).not.toContain(token);
    expect(JSON.stringify(line)).not.toContain(settings.SECRET_KEY);
  });

  it('writes Headers as their entries, credentials redacted', async () => {
    const headers = new Headers({ Authorization: 'Bearer x', Accept: 'application/json' });
    const line = await written((logger) => logger.error('upstream', { headers }));

    expect(line.headers).toEqual({ authorization: REDACTED, accept: 'application/json' });
  });

  it('redacts by name and shape when made before the settings are known', async () => {
    const token = await jwt();
    const { lines } = await capturingLogs('error', async () =>
      createLogger('error').error('early', { authorization: 'x', note: `Bearer ${token}` }),
    );

    expect(lines).toEqual([
      { level: 'error', message: 'early', authorization: REDACTED, note: `Bearer ${REDACTED}` },
    ]);
  });

  it("keeps the log mail provider's one-time tokens out of the log", async () => {
    const logSettings = getSettings({ ...env, EMAIL_PROVIDER: 'log', LOG_LEVEL: 'info' });
    const token = 'k3P9xQ2mVb7LwZt1Rf8NsYh4Jc6Dg0Ea5Uo2Ii9Op3A';
    const { lines } = await capturingLogs('log', () =>
      sendMail(
        { settings: logSettings, logger: createLogger(logSettings) },
        {
          to: 'ada@example.com',
          subject: 'Verify your address',
          text: `Open https://app.example.com/verify?token=${token} to verify.`,
          html: '<p>html</p>',
        },
      ),
    );

    expect(lines).toEqual([
      expect.objectContaining({
        message: 'email (log provider, not sent)',
        to: 'ada@example.com',
        text: `Open https://app.example.com/verify?token=${REDACTED} to verify.`,
      }),
    ]);
  });
});
