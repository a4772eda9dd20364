import type { RunningService, ServiceName } from './service';
import { DEFAULT_PORTS, LOCAL_CREDENTIALS } from './service';

export interface LocalCloudOptions {
  /** Loopback ports per service; `0` picks a free port. Defaults to {@link DEFAULT_PORTS}. */
  ports?: Partial<Record<ServiceName, number>>;
  /** PGlite data directory; omitted means in memory. Ignored when `postgresUrl` is set. */
  dataDir?: string;
  /** A real Postgres to serve instead of the embedded PGlite. */
  postgresUrl?: string;
  /**
   * The connection string clients must present (role, password, database), as a Neon
   * project's; omitted, any is accepted. The database name is the endpoint's own, whatever
   * the served database is called.
   */
  databaseUrl?: string;
  /** A real Redis to serve instead of the embedded engine. */
  redisUrl?: string;
  /**
   * How QStash hands over deliveries: `http` POSTs them to their destination (`npm run dev`);
   * `pull` queues them for the test runner, which passes them to the Worker under test.
   */
  qstashDelivery?: 'http' | 'pull';
  /** Multiplies QStash's retry backoff; tests use a small value to stay fast. */
  qstashBackoffScale?: number;
  /** Print one line per service at start. */
  log?: (line: string) => void;
}

export interface LocalCloud {
  urls: Record<ServiceName, string>;
  close(): Promise<void>;
}

/**
 * Starts every service of the local cloud on loopback and returns their URLs.
 *
 * @example
 * const cloud = await startLocalCloud({ dataDir: '.data/pglite' });
 * console.log(cloud.urls.postgres); // http://127.0.0.1:8791/sql
 * await cloud.close();
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const started: Partial<Record<ServiceName, RunningService>> = {};
  const close = async () => {
    await Promise.allSettled(Object.values(started).map((service) => service.close()));
  };
  try {
    const [{ startPostgres }, { startRedis }, { startQStash }, { startMailbox }, { startConsole }] =
      await Promise.all([
        import('./postgres/server'),
        import('./redis/server'),
        import('./qstash/server'),
        import('./mailbox/server'),
        import('./console/server'),
      ]);
    started.postgres = await startPostgres({
      port: ports.postgres,
      dataDir: options.dataDir,
      postgresUrl: options.postgresUrl,
      databaseUrl: options.databaseUrl,
    });
    started.redis = await startRedis({
      port: ports.redis,
      redisUrl: options.redisUrl,
      token: LOCAL_CREDENTIALS.redisToken,
    });
    started.qstash = await startQStash({
      port: ports.qstash,
      token: LOCAL_CREDENTIALS.qstashToken,
      currentSigningKey: LOCAL_CREDENTIALS.qstashCurrentSigningKey,
      nextSigningKey: LOCAL_CREDENTIALS.qstashNextSigningKey,
      delivery: options.qstashDelivery ?? 'http',
      backoffScale: options.qstashBackoffScale ?? 1,
    });
    started.mailbox = await startMailbox({
      port: ports.mailbox,
      apiKey: LOCAL_CREDENTIALS.resendApiKey,
    });
    started.console = await startConsole({
      port: ports.console,
      urls: {
        postgres: started.postgres.url,
        redis: started.redis.url,
        qstash: started.qstash.url,
        mailbox: started.mailbox.url,
      },
      qstashToken: LOCAL_CREDENTIALS.qstashToken,
      resendApiKey: LOCAL_CREDENTIALS.resendApiKey,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const urls = Object.fromEntries(
    Object.entries(started).map(([name, service]) => [name, service.url]),
  ) as Record<ServiceName, string>;
  for (const [name, url] of Object.entries(urls)) options.log?.(`  ${name.padEnd(9)} ${url}`);
  return { urls, close };
}
