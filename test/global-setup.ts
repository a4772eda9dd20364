import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../dev/db/migrate';
import { LOCAL_DATABASE_URL } from '../dev/local-cloud/bindings';
import { startLocalCloud } from '../dev/local-cloud/index';
import { emptyRedisDatabase, prepareOwnerRole } from '../dev/local-cloud/real-services';
import { SECRET_SETTINGS } from '../src/settings';
import { failOnLeaks, installLogGuard, registerSecret } from './helpers/leaks';
import { testBindings } from './test-env';

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
  // The local cloud logs in this process: its lines are checked for secrets too (issue 15).
  installLogGuard();
  const bindings = testBindings(cloud.urls);
  for (const name of SECRET_SETTINGS) registerSecret(bindings[name], name);
  project.provide('fastCheck', {
    seed: process.env.FC_SEED ?? null,
    path: process.env.FC_PATH ?? null,
    runs: process.env.FC_RUNS ?? null,
    replayPath: process.env.FC_REPLAY_PATH ?? null,
  });
  return async () => {
    await cloud.close();
    failOnLeaks();
  };
}
