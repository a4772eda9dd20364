import { Hono } from 'hono';
import { getRedis, RedisBatch } from '../../src/platform/redis';
import { getSettings } from '../../src/settings';

/**
 * The baselines, bundled and served exactly like the app:
 * - `/`: bare Hono answering "hello", the reference of the middleware budget in BENCHMARKS.md;
 * - `/same-response`: bare Hono answering what the app's `GET /health` answers, the same JSON
 *   and the same headers, built in one `c.json` call. The gap between the two is the cost of
 *   the response itself; the gap to the app's `/health`, the cost of its middleware. The
 *   benchmark refuses to run when the header names here and the app's differ.
 * - `/one-redis-request`: the "hello" after one Upstash REST request (a pipeline of one `GET`)
 *   made with a bare `fetch`: the least an authenticated read can cost, since it makes that
 *   request. The gap to the "hello" is what workerd spends on a subrequest.
 * - `/one-redis-request/client`: the same request made the app's way, a `RedisBatch` on the
 *   app's client (`getRedis`: its options, its timeout), from the app's settings.
 */
const app = new Hono<{ Bindings: Env }>();

app.get('/', (c) => c.text('hello'));

const HEALTH = { status: 'ok', service: 'Stratus', version: '0.1.0', environment: 'production' };
const SECURITY_HEADERS = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  Vary: 'Origin',
};

app.get('/same-response', (c) =>
  c.json(HEALTH, 200, {
    ...SECURITY_HEADERS,
    'X-Request-ID': crypto.randomUUID(),
    'X-Process-Time': '0.0',
    'Server-Timing': 'app;dur=0.0',
  }),
);

app.get('/one-redis-request', async (c) => {
  const response = await fetch(`${c.env.UPSTASH_REDIS_REST_URL}/pipeline`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${c.env.UPSTASH_REDIS_REST_TOKEN}` },
    body: '[["GET","bench:nothing"]]',
  });
  await response.json();
  return c.text('hello');
});

app.get('/one-redis-request/client', async (c) => {
  const batch = new RedisBatch(getRedis(getSettings(c.env)));
  const read = batch.get('bench:nothing');
  await batch.send();
  await read;
  return c.text('hello');
});

export default app;
