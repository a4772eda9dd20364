import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../dev/db/migrate';
import { LOCAL_DATABASE_URL } from '../dev/local-cloud/bindings';
import { startLocalCloud } from '../dev/local-cloud/index';

/**
 * Starts the local cloud on free ports for the whole run, QStash handing its deliveries to
 * the tests (`pull`) with retries 1000× faster. With `--mode services` it serves the real
 * PostgreSQL of `TEST_POSTGRES_URL`, whose schemas are dropped first (point it at a throwaway
 * database), and the real Redis of `TEST_REDIS_URL`, whose database is emptied first: the
 * users' cached token versions, counters and idempotency keys of an earlier run would
 * otherwise meet the new run's users, who get the same ids.
 *
 * Requests must present the credentials and database name of `LOCAL_DATABASE_URL`, as on Neon
 * (issue 14). In services mode the endpoint connects as that URL's role, created without
 * superuser rights if missing and owning the `public` schema, as Neon's owner role does: the
 * migrations and the suite run with no more rights than they get in production.
 */
export default async function setup(project: TestProject) {
  const services = project.config.mode === 'services';
  const postgresUrl = services
    ? (process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
    : undefined;
  const redisUrl = services
    ? (process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15')
    : undefined;
  if (redisUrl) await emptyRedisDatabase(redisUrl);
  const cloud = await startLocalCloud({
    ports: { postgres: 0, redis: 0, qstash: 0, mailbox: 0, console: 0 },
    postgresUrl: postgresUrl && (await prepareOwnerRole(postgresUrl, LOCAL_DATABASE_URL)),
    databaseUrl: LOCAL_DATABASE_URL,
    redisUrl,
    qstashDelivery: 'pull',
    qstashBackoffScale: 0.001,
  });
  await migrateDatabase({ databaseUrl: LOCAL_DATABASE_URL, fetchEndpoint: cloud.urls.postgres });
  project.provide('localCloud', cloud.urls);
  project.provide('postgresAdminUrl', postgresUrl ?? null);
  project.provide('fastCheck', {
    seed: process.env.FC_SEED ?? null,
    path: process.env.FC_PATH ?? null,
    runs: process.env.FC_RUNS ?? null,
    replayPath: process.env.FC_REPLAY_PATH ?? null,
  });
  return () => cloud.close();
}

/**
 * As the superuser of `adminUrl`: creates the role of `ownerUrl` (login, not superuser) if
 * missing, empties the database and gives that role its `public` schema.
 *
 * @returns `adminUrl` with the owner's credentials: what the endpoint connects with.
 */
async function prepareOwnerRole(adminUrl: string, ownerUrl: string): Promise<string> {
  const owner = new URL(ownerUrl);
  const role = decodeURIComponent(owner.username);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const ident = (name: string) => admin.escapeIdentifier(name);
    const [{ database }] = (await admin.query('SELECT current_database() AS database')).rows;
    try {
      await admin.query(
        `CREATE ROLE ${ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${admin.escapeLiteral(decodeURIComponent(owner.password))}`,
      );
    } catch (error) {
      // Roles belong to the whole server: another run may have created it meanwhile.
      if (
        !(
          error instanceof Error &&
          'code' in error &&
          ['42710', '23505'].includes(String(error.code))
        )
      )
        throw error;
    }
    await admin.query('DROP SCHEMA IF EXISTS drizzle CASCADE');
    await admin.query('DROP SCHEMA IF EXISTS public CASCADE');
    await admin.query(`CREATE SCHEMA public AUTHORIZATION ${ident(role)}`);
    await admin.query(`GRANT CONNECT, CREATE ON DATABASE ${ident(database)} TO ${ident(role)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.username = owner.username;
  url.password = owner.password;
  return url.href;
}

/** `FLUSHDB` on the database the URL names (its path, `/15`), leaving the others alone. */
async function emptyRedisDatabase(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
