import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { unstable_startWorker } from 'wrangler';
import { migrateDatabase } from '../../dev/db/migrate';
import { LOCAL_DATABASE_URL, localCloudBindings } from '../../dev/local-cloud/bindings';
import { type LocalCloud, startLocalCloud } from '../../dev/local-cloud/index';
import { freePort } from '../../dev/local-cloud/ports';

// What the browser tests of test/node/ share: the stack `npm run dev` runs, on free ports, and
// Debian's chromium to drive it.

/** Debian's chromium, which `.ci/run` installs when missing. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether chromium is installed: the browser tests are skipped only on a machine without it
 * (`apt-get install chromium`), so that `npm test` passes on a fresh clone; CI installs it.
 */
export const hasChromium = existsSync(CHROMIUM);

/** Headless chromium, without the background traffic of a desktop browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface DevStack {
  cloud: LocalCloud;
  /** The Worker's origin, e.g. `http://127.0.0.1:41234`; also its `PUBLIC_BASE_URL`. */
  origin: string;
  /** `origin` + `/api/v1`. */
  api: string;
  /** The Worker's variables: the local cloud's bindings and the settings above. */
  vars: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The setup of `npm run dev` on free ports: the local cloud (QStash delivering over HTTP to
 * the Worker, so e-mails reach the mailbox on their own), its database migrated, and the
 * Worker under wrangler with its static assets, `PUBLIC_BASE_URL` at its own origin and
 * `settings(origin)` on top.
 */
export async function startDevStack(
  settings: (origin: string) => Record<string, string> = () => ({}),
): Promise<DevStack> {
  const cloud = await startLocalCloud({
    ports: { postgres: 0, redis: 0, qstash: 0, mailbox: 0, console: 0 },
    databaseUrl: LOCAL_DATABASE_URL,
    qstashDelivery: 'http',
  });
  try {
    await migrateDatabase({ databaseUrl: LOCAL_DATABASE_URL, fetchEndpoint: cloud.urls.postgres });
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    // wrangler's own log (bindings table, one line per request) would drown the test's output.
    process.env.WRANGLER_LOG = 'error';
    const vars = {
      ...localCloudBindings(cloud.urls),
      PUBLIC_BASE_URL: origin,
      ...settings(origin),
    };
    const worker = await unstable_startWorker({
      config: 'wrangler.toml',
      bindings: Object.fromEntries(
        Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }]),
      ),
      dev: { server: { hostname: '127.0.0.1', port }, inspector: false, watch: false },
    });
    await worker.ready;
    return {
      cloud,
      origin,
      api: `${origin}/api/v1`,
      vars,
      close: async () => {
        await worker.dispose();
        await cloud.close();
      },
    };
  } catch (error) {
    await cloud.close();
    throw error;
  }
}
