import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/modules/jobs/jobs.service';
import { items } from '../../../src/platform/db/schema';
import {
  createItem,
  ITEM_CHANGE,
  ITEM_SORT,
  itemOwner,
  itemRow,
  itemSearchTerm,
  MISTYPED_ITEM,
  requiredItem,
  sampleItem,
} from '../../helpers/items';
import { deliverJobs, settingsWith } from '../../helpers/jobs';
import { authed, superuser, testDb } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

// The contract every resource made by `npm run new:module` keeps: the generator writes this
// file, renamed, for the new module (with the fields of its test helper), so it runs here
// against items and in CI (`npm run check:generator`) against a generated module (issue 16).

/** This file's public host: its jobs are delivered there. */
const BASE = 'http://items-resource.localhost:8787';
const DAY = 24 * 60 * 60 * 1000;

interface Page {
  items: { id: number }[];
  total?: number;
  has_next: boolean;
  next_cursor: string | null;
}

async function list(token: string, query: string): Promise<Page> {
  const response = await authed(token, `/items?${query}`);
  if (response.status !== 200) throw new Error(`list: ${response.status} ${await response.text()}`);
  return response.json<Page>();
}

async function rowsOwnedBy(ownerId: number) {
  const [row] = await testDb()
    .select({ value: count() })
    .from(items)
    .where(eq(items.ownerId, ownerId));
  return row?.value;
}

describe('items: the resource contract', () => {
  it('creates, reads, patches, replaces and soft-deletes an own item', async () => {
    const owner = await itemOwner();
    const body = sampleItem(0);
    const created = await authed(owner.token, '/items', {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const item = await created.json<{ id: number }>();
    expect(item).toMatchObject({ ...body, owner_id: owner.id, deleted_at: null });
    expect(created.headers.get('Location')).toBe(`/api/v1/items/${item.id}`);
    expect(created.headers.get('ETag')).toBe('"1"');
    expect(await (await authed(owner.token, `/items/${item.id}`)).json()).toEqual(item);

    const patched = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      body: JSON.stringify(ITEM_CHANGE),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ ...body, ...ITEM_CHANGE });
    expect(patched.headers.get('ETag')).toBe('"2"');

    const replacement = requiredItem(1);
    const omitted = Object.keys(body).filter((key) => !(key in replacement));
    const replaced = await authed(owner.token, `/items/${item.id}`, {
      method: 'PUT',
      body: JSON.stringify(replacement),
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({
      ...replacement,
      ...Object.fromEntries(omitted.map((key) => [key, null])),
    });

    const deleted = await authed(owner.token, `/items/${item.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await authed(owner.token, `/items/${item.id}`)).status).toBe(404);
    expect((await itemRow(item.id))?.deletedAt).toBeInstanceOf(Date);
  });

  it('refuses owner_id, unknown fields and mistyped fields with 422 and writes nothing', async () => {
    const owner = await itemOwner();
    const other = await itemOwner();
    for (const body of [
      { ...sampleItem(0), owner_id: other.id },
      { ...sampleItem(0), unknown_field: 'x' },
      MISTYPED_ITEM,
    ]) {
      const response = await authed(owner.token, '/items', {
        method: 'POST',
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(422);
      expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    }
    expect(await rowsOwnedBy(owner.id)).toBe(0);
    expect(await rowsOwnedBy(other.id)).toBe(0);

    const item = await createItem(owner.token);
    const before = await itemRow(item.id);
    const patched = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      body: JSON.stringify(MISTYPED_ITEM),
    });
    expect(patched.status).toBe(422);
    expect(await itemRow(item.id)).toEqual(before);
  });

  it('answers 404 to another user for an item and leaves its row unchanged', async () => {
    const a = await itemOwner();
    const b = await itemOwner();
    const item = await createItem(a.token);
    const before = await itemRow(item.id);
    const attempts = [
      authed(b.token, `/items/${item.id}`),
      authed(b.token, `/items/${item.id}`, { method: 'PATCH', body: JSON.stringify(ITEM_CHANGE) }),
      authed(b.token, `/items/${item.id}`, { method: 'PUT', body: JSON.stringify(sampleItem(1)) }),
      authed(b.token, `/items/${item.id}`, { method: 'DELETE' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect((await readProblem(response)).code).toBe('NOT_FOUND');
    }
    expect(await itemRow(item.id)).toEqual(before);
    expect(await list(b.token, '')).toMatchObject({ items: [], total: 0 });
  });

  it('lets a superuser change any item and list deleted ones; include_deleted is theirs only', async () => {
    const owner = await itemOwner();
    const admin = (await superuser()).tokens.access_token;
    const item = await createItem(owner.token);
    const patched = await authed(admin, `/items/${item.id}`, {
      method: 'PATCH',
      body: JSON.stringify(ITEM_CHANGE),
    });
    expect(await patched.json()).toMatchObject({ ...ITEM_CHANGE, owner_id: owner.id });
    expect((await authed(admin, `/items/${item.id}`, { method: 'DELETE' })).status).toBe(204);
    const shown = await authed(admin, `/items/${item.id}?include_deleted=true`);
    expect(shown.status).toBe(200);
    const page = await list(admin, 'include_deleted=true&sort=-created_at&limit=100');
    expect(page.items.map((entry) => entry.id)).toContain(item.id);

    const refused = await authed(owner.token, '/items?include_deleted=true');
    expect(refused.status).toBe(403);
    expect((await readProblem(refused)).code).toBe('FORBIDDEN');
  });

  it('pages exactly with skip and limit, and a cursor visits every row once', async () => {
    const owner = await itemOwner();
    const created = [];
    for (let n = 0; n < 4; n++) created.push(await createItem(owner.token, sampleItem(n)));
    const newestFirst = created.map((item) => item.id).reverse();
    const first = await list(owner.token, 'limit=3');
    expect(first).toMatchObject({ total: 4, has_next: true });
    expect(first.items.map((item) => item.id)).toEqual(newestFirst.slice(0, 3));
    const last = await list(owner.token, 'limit=3&skip=3');
    expect(last.items.map((item) => item.id)).toEqual(newestFirst.slice(3));

    const seen: number[] = [];
    let cursor = '';
    do {
      const page = await list(owner.token, `limit=3&cursor=${encodeURIComponent(cursor)}`);
      expect(page.total).toBeUndefined();
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor ?? '';
    } while (cursor);
    expect(seen).toEqual(newestFirst);
  });

  it('sorts only on its allowlist, naming it when refused', async () => {
    const owner = await itemOwner();
    const response = await authed(owner.token, '/items?sort=owner_id');
    expect(response.status).toBe(422);
    const problem = await readProblem(response);
    expect(problem.errors?.[0]?.path).toBe('query.sort');
    expect(problem.errors?.[0]?.message).toMatch(/^sort must be one of: created_at, -created_at/);
  });

  // #region sort
  it('sorts on its own fields, both ways', async () => {
    const owner = await itemOwner();
    const ids = [];
    for (const n of [2, 0, 1]) ids[n] = (await createItem(owner.token, sampleItem(n))).id;
    const ascending = await list(owner.token, `sort=${ITEM_SORT}`);
    expect(ascending.items.map((item) => item.id)).toEqual(ids);
    const descending = await list(owner.token, `sort=-${ITEM_SORT}`);
    expect(descending.items.map((item) => item.id)).toEqual(ids.reverse());
  });
  // #endregion sort

  // #region search
  it('finds items with q, case-insensitively', async () => {
    const owner = await itemOwner();
    await createItem(owner.token, sampleItem(1));
    const wanted = await createItem(owner.token, sampleItem(2));
    const page = await list(owner.token, `q=${encodeURIComponent(itemSearchTerm(2))}`);
    expect(page.items.map((item) => item.id)).toEqual([wanted.id]);
  });
  // #endregion search

  it('answers 304 to a current If-None-Match and 412 to a stale If-Match, changing nothing', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token);
    const again = await authed(owner.token, `/items/${item.id}`, {
      headers: { 'If-None-Match': item.etag },
    });
    expect(again.status).toBe(304);
    const fresh = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      headers: { 'If-Match': item.etag },
      body: JSON.stringify(ITEM_CHANGE),
    });
    expect(fresh.status).toBe(200);
    const before = await itemRow(item.id);
    const stale = await authed(owner.token, `/items/${item.id}`, {
      method: 'DELETE',
      headers: { 'If-Match': item.etag },
    });
    expect(stale.status).toBe(412);
    expect((await readProblem(stale)).code).toBe('PRECONDITION_FAILED');
    expect(await itemRow(item.id)).toEqual(before);
  });

  it('replays a POST with the same Idempotency-Key and creates one row', async () => {
    const owner = await itemOwner();
    const key = crypto.randomUUID();
    const post = () =>
      authed(owner.token, '/items', {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: JSON.stringify(sampleItem(0)),
      });
    const first = await post();
    expect(first.status).toBe(201);
    const replay = await post();
    expect(replay.status).toBe(201);
    expect(await replay.text()).toBe(await first.text());
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await rowsOwnedBy(owner.id)).toBe(1);
  });

  it('purges items soft-deleted longer ago than SOFT_DELETE_RETENTION_DAYS', async () => {
    const owner = await itemOwner();
    const [old, recent, live] = [
      await createItem(owner.token, sampleItem(0)),
      await createItem(owner.token, sampleItem(1)),
      await createItem(owner.token, sampleItem(2)),
    ];
    for (const [item, days] of [
      [old, 31],
      [recent, 29],
    ] as const) {
      const deletedAt = new Date(Date.now() - days * DAY);
      await testDb().update(items).set({ deletedAt }).where(eq(items.id, item.id));
    }
    await enqueue({ settings: settingsWith({ PUBLIC_BASE_URL: BASE }) }, 'purge_deleted_items', {});
    expect((await deliverJobs(BASE)).map((delivery) => delivery.status)).toEqual([200]);
    expect(await itemRow(old.id)).toBeUndefined();
    expect((await itemRow(recent.id))?.deletedAt).toBeInstanceOf(Date);
    expect((await itemRow(live.id))?.deletedAt).toBeNull();
  });
});
