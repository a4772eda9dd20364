import { describe, expect, it } from 'vitest';
import { dbStats, taggedDb } from '../../helpers/db-stats';
import { createItem, itemOwner } from '../../helpers/items';
import { authed, bearer } from '../../helpers/users';
import { API, callWith, readProblem } from '../../helpers/worker';

interface Page {
  items: { id: number; title: string; description: string | null; created_at: string }[];
  total?: number;
  skip?: number;
  limit: number;
  has_next: boolean;
  next_cursor: string | null;
}

async function list(token: string, query: string): Promise<Page> {
  const response = await authed(token, `/items?${query}`);
  if (response.status !== 200) throw new Error(`list: ${response.status} ${await response.text()}`);
  return response.json<Page>();
}

async function createMany(token: string, count: number, title = (i: number) => `Item ${i}`) {
  const created = [];
  for (let i = 0; i < count; i++) created.push(await createItem(token, { title: title(i) }));
  return created;
}

describe('item lists: offset paging', () => {
  it.each([
    [0, { items: 0, total: 0, has_next: false }],
    [1, { items: 1, total: 1, has_next: false }],
    [3, { items: 3, total: 3, has_next: false }],
    [4, { items: 3, total: 4, has_next: true }],
  ])('is exact with %i rows and limit 3', async (rows, expected) => {
    const owner = await itemOwner();
    const created = await createMany(owner.token, rows);
    const page = await list(owner.token, 'limit=3');
    expect({ items: page.items.length, total: page.total, has_next: page.has_next }).toEqual(
      expected,
    );
    expect(page).toMatchObject({ skip: 0, limit: 3 });
    // Newest first by default.
    expect(page.items.map((item) => item.id)).toEqual(
      created
        .map((item) => item.id)
        .reverse()
        .slice(0, 3),
    );
    if (rows === 4) {
      const last = await list(owner.token, 'limit=3&skip=3');
      expect(last.items.map((item) => item.id)).toEqual([created[0]?.id]);
      expect(last).toMatchObject({ total: 4, skip: 3, has_next: false, next_cursor: null });
    }
  });

  it('caps limit at MAX_PAGE_SIZE', async () => {
    const owner = await itemOwner();
    expect((await list(owner.token, 'limit=100000')).limit).toBe(100);
  });
});

describe('item lists: cursor paging', () => {
  it('visits every row exactly once while rows are inserted, with no COUNT', async () => {
    const owner = await itemOwner();
    const before = await createMany(owner.token, 7, (i) => `Before ${i}`);
    const { tag, settings } = taggedDb();
    const seen: number[] = [];
    let cursor = '';
    let pages = 0;
    for (;;) {
      const response = await callWith(
        settings,
        `${API}/items?limit=2&sort=created_at&cursor=${encodeURIComponent(cursor)}`,
        { headers: bearer(owner.token) },
      );
      expect(response.status).toBe(200);
      const page = await response.json<Page>();
      pages += 1;
      expect(page.total).toBeUndefined();
      seen.push(...page.items.map((item) => item.id));
      // Someone adds an item between every two pages.
      await createItem(owner.token, { title: `During ${pages}` });
      if (!page.next_cursor) break;
      expect(page.has_next).toBe(true);
      cursor = page.next_cursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const item of before) expect(seen).toContain(item.id);
    // One statement per page: the rows, never a COUNT beside them.
    expect(await dbStats(tag)).toEqual({ requests: pages, queries: pages });
  });

  it('walks newest first by default and ends with has_next false', async () => {
    const owner = await itemOwner();
    const created = await createMany(owner.token, 3);
    const first = await list(owner.token, 'limit=2&cursor=');
    const second = await list(
      owner.token,
      `limit=2&cursor=${encodeURIComponent(first.next_cursor ?? '')}`,
    );
    expect([...first.items, ...second.items].map((item) => item.id)).toEqual(
      created.map((item) => item.id).reverse(),
    );
    expect(second).toMatchObject({ has_next: false, next_cursor: null });
  });

  it('answers the first cursor page in cursor mode after the offset page was cached (issue 16)', async () => {
    const owner = await itemOwner();
    await createMany(owner.token, 2);
    expect((await list(owner.token, 'limit=1')).total).toBe(2);
    const cursorPage = await list(owner.token, 'limit=1&cursor=');
    expect(cursorPage.total).toBeUndefined();
    expect(cursorPage.skip).toBeUndefined();
  });

  it('continues an offset page with its next_cursor', async () => {
    const owner = await itemOwner();
    const created = await createMany(owner.token, 3);
    const first = await list(owner.token, 'limit=2');
    const rest = await list(owner.token, `cursor=${encodeURIComponent(first.next_cursor ?? '')}`);
    expect(rest.items.map((item) => item.id)).toEqual([created[0]?.id]);
  });

  it('refuses a tampered cursor with 422', async () => {
    const owner = await itemOwner();
    await createMany(owner.token, 3);
    const { next_cursor } = await list(owner.token, 'limit=1&cursor=');
    const [payload = '', mac = ''] = (next_cursor ?? '').split('.');
    const decoded = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as unknown[];
    decoded[3] = Number(decoded[3]) + 1;
    const forged = `${btoa(JSON.stringify(decoded)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.${mac}`;
    // A MAC with its first character changed: all six of its bits are MAC bits, so the MAC
    // differs (replacing its last characters could leave it as it was, once in 256 runs).
    const wrongMac = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    for (const cursor of [forged, `${payload}.${wrongMac}`, 'garbage', `${payload}`]) {
      const response = await authed(owner.token, `/items?cursor=${encodeURIComponent(cursor)}`);
      expect(response.status).toBe(422);
      const problem = await readProblem(response);
      expect(problem.errors?.[0]?.path).toBe('query.cursor');
    }
  });
});

describe('item lists: search, sort and date filters', () => {
  it('searches case-insensitively, taking % and _ literally', async () => {
    const owner = await itemOwner();
    await createItem(owner.token, { title: '100% Cotton' });
    await createItem(owner.token, { title: '1000 Cotton' });
    await createItem(owner.token, { title: 'snake_case' });
    await createItem(owner.token, { title: 'snakeXcase' });
    await createItem(owner.token, { title: 'Other', description: 'COTTON inside' });
    const titles = async (q: string) =>
      (await list(owner.token, `q=${encodeURIComponent(q)}`)).items.map((i) => i.title).sort();
    expect(await titles('0%')).toEqual(['100% Cotton']);
    expect(await titles('e_c')).toEqual(['snake_case']);
    expect(await titles('cotton')).toEqual(['100% Cotton', '1000 Cotton', 'Other']);
  });

  it('sorts on the allowlist, and refuses any other field naming the allowed ones', async () => {
    const owner = await itemOwner();
    await createMany(owner.token, 3, (i) => ['b', 'c', 'a'][i] ?? '');
    expect((await list(owner.token, 'sort=title')).items.map((i) => i.title)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect((await list(owner.token, 'sort=-title')).items.map((i) => i.title)).toEqual([
      'c',
      'b',
      'a',
    ]);
    const response = await authed(owner.token, '/items?sort=owner_id');
    expect(response.status).toBe(422);
    const problem = await readProblem(response);
    expect(problem.errors?.[0]).toMatchObject({ path: 'query.sort' });
    expect(problem.errors?.[0]?.message).toBe(
      'sort must be one of: created_at, -created_at, updated_at, -updated_at, title, -title',
    );
  });

  it('filters by created_after and created_before (exclusive)', async () => {
    const owner = await itemOwner();
    const [first, second, third] = await createMany(owner.token, 3);
    const ids = async (query: string) =>
      (await list(owner.token, query)).items.map((item) => item.id).sort((x, y) => x - y);
    const at = (item: { created_at: string } | undefined) =>
      encodeURIComponent(item?.created_at ?? '');
    expect(await ids(`created_after=${at(first)}`)).toEqual([second?.id, third?.id]);
    expect(await ids(`created_before=${at(third)}`)).toEqual([first?.id, second?.id]);
    expect(await ids(`created_after=${at(first)}&created_before=${at(third)}`)).toEqual([
      second?.id,
    ]);
    expect((await authed(owner.token, '/items?created_after=yesterday')).status).toBe(422);
  });
});
