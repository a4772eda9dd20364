import type { Broker } from './broker';
import type { AttemptResult, Delivery } from './types';

const IDLE_POLL_MS = 50;

/**
 * `http` delivery mode: claims due deliveries from the broker and POSTs (or whatever their
 * method is) them to their destination, reporting each response back. It sleeps until the
 * next message is due and wakes up on every change.
 */
export function startHttpDispatcher(broker: Broker, options: { timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let idle = false;

  const wake = () => {
    if (closed) return;
    clearTimeout(timer);
    const { due, nextDueAt } = broker.status();
    if (due === 0 && nextDueAt === null) return;
    // Due messages that could not be claimed wait behind a busy queue: poll, do not spin.
    const wait =
      idle && due > 0 ? IDLE_POLL_MS : Math.max(0, (nextDueAt ?? Date.now()) - Date.now());
    timer = setTimeout(run, wait);
    timer.unref();
  };

  const run = async () => {
    const deliveries = await broker.claim();
    idle = deliveries.length === 0;
    await Promise.all(
      deliveries.map(async (delivery) => {
        broker.report(delivery.deliveryId, await send(delivery, timeoutMs));
      }),
    );
    wake();
  };

  const unsubscribe = broker.onChange(() => {
    idle = false;
    wake();
  });
  wake();
  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      unsubscribe();
    },
  };
}

async function send(delivery: Delivery, timeoutMs: number): Promise<AttemptResult> {
  const hasBody = delivery.method !== 'GET' && delivery.method !== 'HEAD';
  try {
    const response = await fetch(delivery.url, {
      method: delivery.method,
      headers: delivery.headers,
      body: hasBody ? Buffer.from(delivery.bodyBase64, 'base64') : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(delivery.timeoutMs ?? timeoutMs),
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}
