import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClient } from '../../dev/client-generate';
import { type DevStack, startDevStack } from './dev-stack';

/** The parts of the generated `index.ts` the test uses (it is generated, so not importable by type). */
interface GeneratedClient {
  Sdk: new () => {
    auth: {
      register(options: { body: Record<string, unknown> }): Promise<Answer>;
      login(options: { body: Record<string, unknown> }): Promise<Answer>;
    };
    users: { getMe(options: { headers: Record<string, string> }): Promise<Answer> };
  };
}

interface Answer {
  data?: Record<string, unknown>;
  error?: Record<string, unknown>;
  response: Response;
}

// What a front end does with `npm run client:generate`: generate the client from the document
// the app serves, then call the API through it, here the Worker in workerd (wrangler) against
// the local cloud, as `npm run dev` runs it (issue 17).
describe('the client of npm run client:generate', () => {
  let stack: DevStack;
  let origin: string;
  let client: GeneratedClient;
  const out = mkdtempSync(join(tmpdir(), 'stratus-client-'));

  beforeAll(async () => {
    stack = await startDevStack();
    origin = stack.origin;
    // Generated from the document of these settings: `servers` is the Worker's origin, which
    // the client takes as its base URL.
    await generateClient(out, stack.vars);
    client = (await import(join(out, 'index.ts'))) as GeneratedClient;
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('registers, logs in and reads the current user through methods named by operationId', async () => {
    const email = `generated-${Date.now()}@example.com`;
    const password = 'Str0ngPassword';
    // #region generated-client
    const sdk = new client.Sdk(); // import { Sdk } from './client';

    const registered = await sdk.auth.register({
      body: { email, password, first_name: 'Gen', last_name: 'Erated' },
    });
    const login = await sdk.auth.login({ body: { username: email, password } });
    const token = login.data?.access_token;
    const me = await sdk.users.getMe({ headers: { Authorization: `Bearer ${token}` } });
    // #endregion generated-client

    expect(registered.response.status).toBe(201);
    expect(registered.response.url).toBe(`${origin}/api/v1/auth/register`);
    expect(registered.data).toMatchObject({ email, is_verified: false });
    expect(login.response.status).toBe(200);
    expect(login.data).toMatchObject({ token_type: 'bearer' });
    expect(typeof token).toBe('string');
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({ email, id: registered.data?.id });
    expect(me.response.headers.get('RateLimit-Limit')).toMatch(/^\d+$/);
  });

  it('answers an error as the declared problem document', async () => {
    const sdk = new client.Sdk();
    const me = await sdk.users.getMe({ headers: { Authorization: 'Bearer not-a-token' } });
    expect(me.response.status).toBe(401);
    expect(me.data).toBeUndefined();
    expect(me.error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
