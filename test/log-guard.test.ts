import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger';
import { getSettings } from '../src/settings';
import { failOnLeaks, leaksDuring } from './helpers/leaks';
import { capturingLogs } from './helpers/logs';
import { login, registerUser } from './helpers/users';
import { API, call } from './helpers/worker';

/** A line as the logger would write it at `info` had it not redacted `fields`. */
function unredacted(fields: Record<string, unknown>) {
  console.log(JSON.stringify({ level: 'info', message: 'leaky', ...fields }));
}

// The guard of test/log-guard.ts checks every console line of the suite; these tests show it
// catches each kind of secret, taking the leaks they cause so this file still passes.
describe('the log guard (issue 15)', () => {
  it('catches a secret setting in a line, and fails the test that wrote it', async () => {
    const leaks = await leaksDuring(() => unredacted({ key: env.SECRET_KEY }));
    expect(leaks).toEqual([
      { secret: 'SECRET_KEY', line: expect.stringContaining('<SECRET_KEY>') },
    ]);

    unredacted({ detail: `signed with ${env.QSTASH_CURRENT_SIGNING_KEY}` });
    let failure: unknown;
    try {
      failOnLeaks();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toContain('QSTASH_CURRENT_SIGNING_KEY');
    // The report names the secret without repeating it.
    expect(String(failure)).not.toContain(env.QSTASH_CURRENT_SIGNING_KEY);
  });

  it('catches a password a test sent and the tokens the Worker issued', async () => {
    const password = `Leak${crypto.randomUUID().slice(0, 8)}9`;
    const user = await registerUser({ password });
    const tokens = await login(user);

    expect(await leaksDuring(() => unredacted({ note: `tried ${password}` }))).toEqual([
      expect.objectContaining({ secret: 'password' }),
    ]);
    expect(await leaksDuring(() => unredacted({ note: tokens.refresh_token }))).toEqual([
      expect.objectContaining({ secret: 'refresh_token' }),
    ]);
    // An access token is a JWT: caught by its shape (and as the issued value).
    const [leak] = await leaksDuring(() => unredacted({ note: `saw ${tokens.access_token}` }));
    expect(leak?.secret).toContain('jwt');
  });

  it('takes no location for a secret: the tokenUrl of the OpenAPI document (issue 15)', async () => {
    const document = (await (await call(`${API}/openapi.json`)).json()) as {
      components: {
        securitySchemes: Record<string, { flows?: { password?: { tokenUrl: string } } }>;
      };
    };
    const tokenUrl = Object.values(document.components.securitySchemes).find(
      (scheme) => scheme.flows?.password,
    )?.flows?.password?.tokenUrl;
    expect(tokenUrl).toMatch(/\/auth\/jwt\/login$/);
    expect(await leaksDuring(() => unredacted({ path: tokenUrl }))).toEqual([]);
  });

  it('checks lines that capturingLogs captures', async () => {
    const leaks = await leaksDuring(() =>
      capturingLogs('error', async () => console.error(`key=${env.UPSTASH_REDIS_REST_TOKEN}`)),
    );
    expect(leaks).toEqual([expect.objectContaining({ secret: 'UPSTASH_REDIS_REST_TOKEN' })]);
  });

  it('finds nothing in what the logger writes with the same secrets', async () => {
    const password = `Leak${crypto.randomUUID().slice(0, 8)}9`;
    const user = await registerUser({ password });
    const tokens = await login(user);
    const logger = createLogger(getSettings(env));

    const leaks = await leaksDuring(() =>
      capturingLogs('error', async () =>
        logger.error(`key ${env.SECRET_KEY}`, {
          password,
          note: `Bearer ${tokens.access_token}`,
          refresh_token: tokens.refresh_token,
        }),
      ),
    );
    expect(leaks).toEqual([]);
  });
});
