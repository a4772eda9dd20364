import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalCloud, startLocalCloud } from './index';

export const DATA_DIR = join(import.meta.dirname, '..', '..', '.data');

export interface DevCloudOptions {
  /** Delete `.data/` first: an empty database and no queued messages. */
  reset?: boolean;
}

/**
 * Starts the local cloud for development: PGlite persisted under `.data/pglite` (or the
 * Postgres of `LOCAL_POSTGRES_URL`), the embedded Redis (or `LOCAL_REDIS_URL`), QStash
 * delivering over HTTP, and the mailbox, on the default ports. Writes the URLs to
 * `.data/local-cloud.json` for tools and scripts.
 */
export async function startDevCloud(options: DevCloudOptions = {}): Promise<LocalCloud> {
  if (options.reset) await rm(DATA_DIR, { recursive: true, force: true });
  await mkdir(DATA_DIR, { recursive: true });
  console.log('local cloud:');
  const cloud = await startLocalCloud({
    dataDir: join(DATA_DIR, 'pglite'),
    postgresUrl: process.env.LOCAL_POSTGRES_URL || undefined,
    redisUrl: process.env.LOCAL_REDIS_URL || undefined,
    qstashDelivery: 'http',
    log: (line) => console.log(line),
  });
  await writeFile(join(DATA_DIR, 'local-cloud.json'), `${JSON.stringify(cloud.urls, null, 2)}\n`);
  return cloud;
}

/** Stops `cloud` (and anything in `also`) on Ctrl-C or SIGTERM, then exits. */
export function closeOnSignal(cloud: LocalCloud, also: () => void = () => {}) {
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    also();
    await cloud.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.main) {
  const cloud = await startDevCloud({ reset: process.argv.includes('--reset') });
  console.log('Ctrl-C to stop.');
  closeOnSignal(cloud);
}
