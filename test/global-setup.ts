import type { TestProject } from 'vitest/node';
import { migrateDatabase, resetDatabase } from '../dev/db/migrate';
import { startLocalCloud } from '../dev/local-cloud/index';
import { TEST_DATABASE_URL } from './test-env';

/**
 * Starts the local cloud on free ports for the whole run, QStash handing its deliveries to
 * the tests (`pull`) with retries 1000× faster. With `--mode services` it serves the real
 * PostgreSQL of `TEST_POSTGRES_URL`, whose schemas are dropped first (point it at a throwaway
 * database), and the real Redis of `TEST_REDIS_URL`.
 */
export default async function setup(project: TestProject) {
  const services = project.config.mode === 'services';
  const postgresUrl = services
    ? (process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
    : undefined;
  const redisUrl = services ? (process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
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
