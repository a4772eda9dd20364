import { Hono } from 'hono';
import { z } from 'zod';
import type { Broker } from './broker';
import type { Scheduler } from './scheduler';
import { localMessageView } from './views';

const claimSchema = z.object({
  urlPrefix: z.string().optional(),
  limit: z.number().int().positive().optional(),
});

const resultSchema = z.object({
  status: z.number().int().min(0).max(599),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
});

/**
 * The local-only admin API under `/__local/` (no auth, loopback only). In `pull` mode the test
 * runner claims due deliveries, hands them to the Worker under test and reports each
 * outcome, which then drives completion, retries, the DLQ and callbacks as in `http` mode:
 *
 * - `POST /__local/deliveries/claim` `{ urlPrefix?, limit? }` → `Delivery[]` now due
 * - `POST /__local/deliveries/{deliveryId}/result` `{ status, headers?, body? }` → 204
 *   (`status` 0 is a connection error)
 * - `GET /__local/deliveries/status?urlPrefix=` → `{ due, waiting, inFlight, nextDueAt }`
 * - `GET /__local/messages?urlPrefix=` → every message with its state, retries and last response
 * - `POST /__local/schedules/{scheduleId}/trigger` → `{ messageId }`, fires a schedule now
 */
export function localAdmin(options: {
  broker: Broker;
  scheduler: Scheduler;
  delivery: 'http' | 'pull';
}): Hono {
  const { broker, scheduler } = options;
  const app = new Hono();

  app.post('/__local/deliveries/claim', async (c) => {
    if (options.delivery !== 'pull') {
      return c.json({ error: 'this QStash pushes deliveries itself (http mode)' }, 409);
    }
    const text = await c.req.text();
    const parsed = claimSchema.safeParse(text ? JSON.parse(text) : {});
    if (!parsed.success) return c.json({ error: z.prettifyError(parsed.error) }, 400);
    return c.json(await broker.claim(parsed.data));
  });

  app.post('/__local/deliveries/:deliveryId/result', async (c) => {
    const parsed = resultSchema.safeParse(await c.req.json());
    if (!parsed.success) return c.json({ error: z.prettifyError(parsed.error) }, 400);
    return broker.report(c.req.param('deliveryId'), parsed.data)
      ? c.body(null, 204)
      : c.json({ error: 'unknown delivery, or its result was already reported' }, 404);
  });

  app.get('/__local/deliveries/status', (c) =>
    c.json(broker.status({ urlPrefix: c.req.query('urlPrefix') })),
  );

  app.get('/__local/messages', (c) =>
    c.json(broker.messages({ urlPrefix: c.req.query('urlPrefix') }).map(localMessageView)),
  );

  app.post('/__local/schedules/:scheduleId/trigger', (c) => {
    const messageId = scheduler.trigger(c.req.param('scheduleId'));
    return messageId ? c.json({ messageId }) : c.json({ error: 'schedule not found' }, 404);
  });

  return app;
}
