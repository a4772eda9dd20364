import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_startWorker } from 'wrangler';
import { generateClient } from '../../dev/client-generate';
import { migrateDatabase } from '../../dev/db/migrate';
import { LOCAL_DATABASE_URL, localCloudBindings } from '../../dev/local-cloud/bindings';
import { type LocalCloud, startLocalCloud } from '../../dev/local-cloud/index';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
  let cloud: LocalCloud;
  let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
  let origin: string;
  let client: GeneratedClient;
  const out = mkdtempSync(join(tmpdir(), 'stratus-client-'));

  beforeAll(async () => {
    cloud = await startLocalCloud({
      ports: { postgres: 0, redis: 0, qstash: 0, mailbox: 0, console: 0 },
      databaseUrl: LOCAL_DATABASE_URL,
      qstashDelivery: 'http',
    });
    await migrateDatabase({ databaseUrl: LOCAL_DATABASE_URL, fetchEndpoint: cloud.urls.postgres });
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const vars = { ...localCloudBindings(cloud.urls), PUBLIC_BASE_URL: origin };
    process.env.WRANGLER_LOG = 'error';
    worker = await unstable_startWorker({
      config: 'wrangler.toml',
      bindings: Object.fromEntries(
        Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }]),
      ),
      dev: { server: { hostname: '127.0.0.1', port }, inspector: false, watch: false },
    });
    await worker.ready;
    // Generated from the document of these settings: `servers` is the Worker's origin, which
    // the client takes as its base URL.
    await generateClient(out, vars);
    client = (await import(join(out, 'index.ts'))) as GeneratedClient;
  }, 180_000);

  afterAll(async () => {
    await worker?.dispose();
    await cloud?.close();
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
