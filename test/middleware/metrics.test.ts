import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { createItem, itemOwner } from '../helpers/items';
import { bearer } from '../helpers/users';
import { API, ORIGIN } from '../helpers/worker';

/**
 * An Analytics Engine dataset that keeps what is written. The local runtime's binding accepts
 * data points but offers no way to read them back, so the suite binds this recorder instead.
 */
function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  const dataset: AnalyticsEngineDataset = {
    writeDataPoint(point) {
      points.push(point ?? {});
    },
  };
  return { points, dataset };
}

async function fetchRecorded(path: string, init: RequestInit = {}) {
  const { points, dataset } = recordingDataset();
  const ctx = createExecutionContext();
  const request = new Request(`${ORIGIN}${path}`, init) as Request<
    unknown,
    IncomingRequestCfProperties
  >;
  const response = await worker.fetch(request, { ...env, METRICS: dataset }, ctx);
  await waitOnExecutionContext(ctx);
  return { response, points };
}

describe('request metrics in Analytics Engine (issue 15)', () => {
  it('writes one data point per request: route, method, status class, latency, database time, cache hits and misses', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token, { title: 'Measured' });
    const read = () => fetchRecorded(`${API}/items/${item.id}`, { headers: bearer(owner.token) });

    const miss = await read();
    expect(miss.response.status).toBe(200);
    expect(miss.points).toEqual([
      {
        indexes: [`${API}/items/:id`],
        blobs: [`${API}/items/:id`, 'GET', '2xx'],
        doubles: [1, expect.any(Number), 200, expect.any(Number), 1, 1, 1],
      },
    ]);
    // The miss made one database round trip (the fifth double). Its time is what workerd's clock
    // moved across it: the clock advances only with I/O, so a fast round trip on a local
    // PostgreSQL can read 0, but never more than the request's own latency.
    const [, latency, , databaseMs] = miss.points[0]?.doubles ?? [];
    expect(databaseMs).toBeGreaterThanOrEqual(0);
    expect(latency).toBeGreaterThanOrEqual(databaseMs ?? Number.NaN);

    // The same read again: the user and the item both come from the cache, no database time.
    const hit = await read();
    expect(hit.points[0]?.doubles).toEqual([1, expect.any(Number), 200, 0, 0, 2, 0]);
  });

  it('records the status class of errors and the route pattern, never the raw path', async () => {
    const { response, points } = await fetchRecorded(`${API}/items/999999999`, {
      headers: bearer((await itemOwner()).token),
    });
    expect(response.status).toBe(404);
    expect(points).toHaveLength(1);
    expect(points[0]?.blobs).toEqual([`${API}/items/:id`, 'GET', '4xx']);
  });
});
