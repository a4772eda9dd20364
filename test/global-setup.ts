import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { migrateDatabase, resetDatabase } from '../dev/db/migrate';
import { startLocalCloud } from '../dev/local-cloud/index';
import { TEST_DATABASE_URL } from './test-env';

/**
 * Starts the local cloud on free ports for the whole run, QStash handing its deliveries to
 * the tests (`pull`) with retries 1000× faster. With `--mode services` it serves the real
 * PostgreSQL of `TEST_POSTGRES_URL`, whose schemas are dropped first (point it at a throwaway
 * database), and the real Redis of `TEST_REDIS_URL`, whose database is emptied first: the
 * users' cached token versions, counters and idempotency keys of an earlier run would
 * otherwise meet the new run's users, who get the same ids.
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
    ports: { postgres: 0, redis: 0, qstash: 0, mailbox: 0 },
    postgresUrl,
    redisUrl,
    qstashDelivery: 'pull',
    qstashBackoffScale: 0.001,
  });
  const database = { databaseUrl: TEST_DATABASE_URL, fetchEndpoint: cloud.urls.postgres };
  if (postgresUrl) await resetDatabase(database);
  await migrateDatabase(database);
  project.provide('localCloud', cloud.urls);
  return () => cloud.close();
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
