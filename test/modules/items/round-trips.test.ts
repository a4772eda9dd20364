import { describe, expect, it } from 'vitest';
import { cacheOutcome, dbStats, taggedDb } from '../../helpers/db-stats';
import { createItem, itemOwner } from '../../helpers/items';
import { bearer } from '../../helpers/users';
import { API, callWith } from '../../helpers/worker';

describe('items: server cache and database round trips (the budgets in BENCHMARKS.md)', () => {
  it('serves a second identical read from the cache (0 round trips); a write makes the next read fresh', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token, { title: 'Cached' });
    const { tag, settings } = taggedDb();
    const read = () =>
      callWith(settings, `${API}/items/${item.id}`, { headers: bearer(owner.token) });

    const miss = await read();
    expect(cacheOutcome(miss)).toBe('miss');
    expect(await dbStats(tag)).toEqual({ requests: 1, queries: 1 });
    const hit = await read();
    expect(cacheOutcome(hit)).toBe('hit');
    expect(await hit.json()).toMatchObject({ title: 'Cached' });
    expect((await dbStats(tag)).requests).toBe(1);

    const write = await callWith(settings, `${API}/items/${item.id}`, {
      method: 'PATCH',
      headers: { ...bearer(owner.token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Written' }),
    });
    expect(write.status).toBe(200);
    expect((await dbStats(tag)).requests).toBe(2);
    const fresh = await read();
    expect(cacheOutcome(fresh)).toBe('miss');
    expect(await fresh.json()).toMatchObject({ title: 'Written' });
    expect((await dbStats(tag)).requests).toBe(3);
  });

  it('lists a page with 1 round trip (rows and COUNT together), then 0 from the cache until a write', async () => {
    const owner = await itemOwner();
    await createItem(owner.token);
    const { tag, settings } = taggedDb();
    const page = () => callWith(settings, `${API}/items?limit=5`, { headers: bearer(owner.token) });

    expect((await page()).status).toBe(200);
    expect(await dbStats(tag)).toEqual({ requests: 1, queries: 2 });
    const cached = await page();
    expect(cacheOutcome(cached)).toBe('hit');
    expect((await dbStats(tag)).requests).toBe(1);

    const created = await callWith(settings, `${API}/items`, {
      method: 'POST',
      headers: { ...bearer(owner.token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'New' }),
    });
    expect(created.status).toBe(201);
    expect((await dbStats(tag)).requests).toBe(2);
    const after = await page();
    expect(cacheOutcome(after)).toBe('miss');
    expect((await after.json<{ total: number }>()).total).toBe(2);
    expect((await dbStats(tag)).requests).toBe(3);
  });

  it("does not serve one owner's cached item or page to another", async () => {
    const a = await itemOwner();
    const b = await itemOwner();
    const item = await createItem(a.token);
    const { settings } = taggedDb();
    await callWith(settings, `${API}/items/${item.id}`, { headers: bearer(a.token) });
    await callWith(settings, `${API}/items`, { headers: bearer(a.token) });
    const read = await callWith(settings, `${API}/items/${item.id}`, { headers: bearer(b.token) });
    expect(read.status).toBe(404);
    const list = await callWith(settings, `${API}/items`, { headers: bearer(b.token) });
    expect(await list.json()).toMatchObject({ items: [], total: 0 });
  });

  // #region round-trips
  it('deletes with 1 round trip', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token);
    const { tag, settings } = taggedDb();
    const deleted = await callWith(settings, `${API}/items/${item.id}`, {
      method: 'DELETE',
      headers: { ...bearer(owner.token), 'If-Match': item.etag },
    });
    expect(deleted.status).toBe(204);
    expect(await dbStats(tag)).toEqual({ requests: 1, queries: 1 });
  });
  // #endregion round-trips
});
