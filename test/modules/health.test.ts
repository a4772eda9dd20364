import { parseResponse } from 'hono/client';
import { describe, expect, it } from 'vitest';
import { api } from '../helpers/client';
import { API, call, callWith, DATABASE_DOWN, DEAD_ENDPOINT, readProblem } from '../helpers/worker';

describe('GET /health', () => {
  it('answers 200 with the service name, version and environment', async () => {
    const response = await call(`${API}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      service: 'Stratus',
      version: '0.1.0',
      environment: 'test',
    });
  });
});

describe('GET /health/db', () => {
  it('reports the database connected, with its latency', async () => {
    const body = await parseResponse(api.health.db.$get());
    expect(body.status).toBe('ok');
    expect(body.database.status).toBe('up');
    expect(body.database.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('answers 503 DATABASE_UNAVAILABLE when the database endpoint is down', async () => {
    const response = await callWith(DATABASE_DOWN, `${API}/health/db`);
    expect(response.status).toBe(503);
    const problem = await readProblem(response);
    expect(problem.code).toBe('DATABASE_UNAVAILABLE');
    expect(problem.database).toMatchObject({ status: 'down' });
  });
});

describe('GET /health/ready', () => {
  it('is ready when the database and Redis answer', async () => {
    const body = await parseResponse(api.health.ready.$get());
    expect(body.status).toBe('ready');
    expect(body.checks.database?.status).toBe('up');
    expect(body.checks.redis?.status).toBe('up');
  });

  it('answers 503 naming the database when it is down', async () => {
    const response = await callWith(DATABASE_DOWN, `${API}/health/ready`);
    expect(response.status).toBe(503);
    const problem = await readProblem(response);
    expect(problem.code).toBe('SERVICE_UNAVAILABLE');
    expect(problem.detail).toContain('database');
    expect(problem.checks).toMatchObject({ database: { status: 'down' } });
  });

  it('answers 503 naming Redis when it is down', async () => {
    const response = await callWith(
      { UPSTASH_REDIS_REST_URL: DEAD_ENDPOINT },
      `${API}/health/ready`,
    );
    expect(response.status).toBe(503);
    const problem = await readProblem(response);
    expect(problem.detail).toBe('Not ready: redis down');
    expect(problem.checks).toMatchObject({ database: { status: 'up' }, redis: { status: 'down' } });
  });
});
