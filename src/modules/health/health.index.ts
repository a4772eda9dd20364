import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { AppError } from '../../lib/errors';
import { createRouter, errorResponses, jsonContent } from '../../lib/openapi';
import type { Database } from '../../platform/db/client';
import { defineModule } from '../module';

const HealthSchema = z
  .object({
    status: z.literal('ok'),
    service: z.string().max(100).openapi({ example: 'Stratus' }),
    version: z.string().max(50).openapi({ example: '0.1.0' }),
    environment: z.enum(['development', 'test', 'production']),
  })
  .openapi('Health');

const CheckSchema = z
  .object({ status: z.enum(['up', 'down']), latency_ms: z.number() })
  .openapi('HealthCheck');

const DatabaseHealthSchema = z
  .object({ status: z.literal('ok'), database: CheckSchema })
  .openapi('DatabaseHealth');

const ReadinessSchema = z
  .object({ status: z.literal('ready'), checks: z.record(z.string(), CheckSchema) })
  .openapi('Readiness');

const routes = {
  live: createRoute({
    method: 'get',
    path: '/health',
    operationId: 'health.live',
    tags: ['health'],
    summary: 'Liveness: the Worker answers (no I/O)',
    responses: { 200: jsonContent(HealthSchema, 'The Worker is up') },
  }),
  db: createRoute({
    method: 'get',
    path: '/health/db',
    operationId: 'health.database',
    tags: ['health'],
    summary: 'Database connectivity (SELECT 1) and latency',
    responses: {
      200: jsonContent(DatabaseHealthSchema, 'The database answered'),
      ...errorResponses('DATABASE_UNAVAILABLE'),
    },
  }),
  ready: createRoute({
    method: 'get',
    path: '/health/ready',
    operationId: 'health.ready',
    tags: ['health'],
    summary: 'Readiness: the database (SELECT 1) and Redis (PING) answer',
    description: 'Answers 503 naming the failed checks in `checks` when one is down.',
    responses: {
      200: jsonContent(ReadinessSchema, 'Every dependency answered'),
      ...errorResponses('SERVICE_UNAVAILABLE'),
    },
  }),
};

type Check = z.infer<typeof CheckSchema>;

async function check(probe: () => Promise<unknown>): Promise<Check> {
  const start = performance.now();
  try {
    await probe();
    return { status: 'up', latency_ms: Math.round((performance.now() - start) * 10) / 10 };
  } catch {
    return { status: 'down', latency_ms: Math.round((performance.now() - start) * 10) / 10 };
  }
}

const pingDatabase = (db: Database) => db.execute(sql`select 1`);

const router = createRouter()
  .openapi(routes.live, (c) => {
    const { PROJECT_NAME, VERSION, APP_ENV } = c.get('settings');
    return c.json(
      { status: 'ok' as const, service: PROJECT_NAME, version: VERSION, environment: APP_ENV },
      200,
    );
  })
  .openapi(routes.db, async (c) => {
    const database = await check(() => pingDatabase(c.get('db')));
    if (database.status === 'down') {
      throw new AppError('DATABASE_UNAVAILABLE', {
        detail: 'The database did not answer SELECT 1',
        extensions: { database },
      });
    }
    return c.json({ status: 'ok' as const, database }, 200);
  })
  .openapi(routes.ready, async (c) => {
    const [database, redis] = await Promise.all([
      check(() => pingDatabase(c.get('db'))),
      check(() => c.get('redis').ping()),
    ]);
    const checks = { database, redis };
    const failed = Object.entries(checks).filter(([, result]) => result.status === 'down');
    if (failed.length > 0) {
      throw new AppError('SERVICE_UNAVAILABLE', {
        detail: `Not ready: ${failed.map(([name]) => name).join(', ')} down`,
        extensions: { checks },
      });
    }
    return c.json({ status: 'ready' as const, checks }, 200);
  });

/** Liveness and readiness probes. */
export const healthModule = defineModule({
  name: 'health',
  description: 'Liveness and readiness probes',
  router,
});
