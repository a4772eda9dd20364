import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { devDataDir, devPort } from '../dev-vars';
import { type LocalCloud, startLocalCloud } from './index';
import { DEFAULT_API_PORT, servicePorts } from './service';

export interface DevCloudOptions {
  /** The API's port: the services listen on port+4 to port+8. Defaults to 8787. */
  port?: number;
  /** Delete this instance's database first: an empty database and no queued messages. */
  reset?: boolean;
}

/**
 * Starts the local cloud for development: PGlite persisted under the instance's data directory
 * (`.data/pglite` beside the default API port, `.data/port-N/pglite` beside port N), or the
 * Postgres of `LOCAL_POSTGRES_URL`; the embedded Redis (or `LOCAL_REDIS_URL`), QStash
 * delivering over HTTP, the mailbox and the console, on the ports beside the API's. Writes the
 * URLs to `local-cloud.json` in the same directory for tools and scripts.
 */
export async function startDevCloud(options: DevCloudOptions = {}): Promise<LocalCloud> {
  const port = options.port ?? DEFAULT_API_PORT;
  const dir = devDataDir(port);
  if (options.reset) await rm(join(dir, 'pglite'), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  console.log('local cloud:');
  const cloud = await startLocalCloud({
    ports: servicePorts(port),
    dataDir: join(dir, 'pglite'),
    postgresUrl: process.env.LOCAL_POSTGRES_URL || undefined,
    redisUrl: process.env.LOCAL_REDIS_URL || undefined,
    qstashDelivery: 'http',
    log: (line) => console.log(line),
  });
  await writeFile(join(dir, 'local-cloud.json'), `${JSON.stringify(cloud.urls, null, 2)}\n`);
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
  const { port, rest } = devPort();
  const cloud = await startDevCloud({ port, reset: rest.includes('--reset') });
  console.log('Ctrl-C to stop.');
  closeOnSignal(cloud);
}
