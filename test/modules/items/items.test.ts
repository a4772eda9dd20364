import { describe, expect, it } from 'vitest';
import { createItem, itemOwner, itemRow } from '../../helpers/items';
import { authed, superuser } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

describe('items CRUD', () => {
  it('creates, reads, patches, replaces and deletes an own item', async () => {
    const owner = await itemOwner();
    const created = await authed(owner.token, '/items', {
      method: 'POST',
      body: JSON.stringify({ title: 'Groceries', description: 'Milk' }),
    });
    expect(created.status).toBe(201);
    const item = await created.json<{ id: number; owner_id: number }>();
    expect(item).toMatchObject({
      title: 'Groceries',
      description: 'Milk',
      owner_id: owner.id,
      deleted_at: null,
    });
    expect(created.headers.get('Location')).toBe(`/api/v1/items/${item.id}`);
    expect(created.headers.get('ETag')).toBe('"1"');
    expect(created.headers.get('Cache-Control')).toBe('private, no-cache');

    const read = await authed(owner.token, `/items/${item.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(item);

    const patched = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ title: 'Errands' }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ title: 'Errands', description: 'Milk' });
    expect(patched.headers.get('ETag')).toBe('"2"');

    const replaced = await authed(owner.token, `/items/${item.id}`, {
      method: 'PUT',
      body: JSON.stringify({ title: 'Chores' }),
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ title: 'Chores', description: null });

    const deleted = await authed(owner.token, `/items/${item.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await authed(owner.token, `/items/${item.id}`)).status).toBe(404);
    expect((await itemRow(item.id))?.deletedAt).toBeInstanceOf(Date);
  });

  it('refuses owner_id and unknown fields with 422 and writes nothing', async () => {
    const owner = await itemOwner();
    const other = await itemOwner();
    const response = await authed(owner.token, '/items', {
      method: 'POST',
      body: JSON.stringify({ title: 'Mine', owner_id: other.id }),
    });
    expect(response.status).toBe(422);
    expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    const list = await authed(other.token, '/items');
    expect(await list.json()).toMatchObject({ total: 0 });
  });

  it("answers 404 to user B for user A's item and leaves it byte for byte unchanged", async () => {
    const a = await itemOwner();
    const b = await itemOwner();
    const item = await createItem(a.token, { title: 'Private', description: 'A only' });
    const before = await itemRow(item.id);

    const attempts = [
      authed(b.token, `/items/${item.id}`),
      authed(b.token, `/items/${item.id}`, {
        method: 'PATCH',
        body: JSON.stringify({ title: 'Mine now' }),
      }),
      authed(b.token, `/items/${item.id}`, {
        method: 'PUT',
        body: JSON.stringify({ title: 'Mine now' }),
      }),
      authed(b.token, `/items/${item.id}`, { method: 'DELETE' }),
      authed(b.token, `/items/${item.id}`, {
        method: 'PATCH',
        headers: { 'If-Match': item.etag },
        body: JSON.stringify({ title: 'x' }),
      }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect((await readProblem(response)).code).toBe('NOT_FOUND');
    }
    expect(await itemRow(item.id)).toEqual(before);
    const list = await authed(b.token, '/items');
    expect(await list.json()).toMatchObject({ items: [], total: 0 });
  });

  it('lets a superuser see and change every item, and list soft-deleted ones', async () => {
    const owner = await itemOwner();
    const admin = await superuser();
    const item = await createItem(owner.token, { title: 'Owned' });
    const read = await authed(admin.tokens.access_token, `/items/${item.id}`);
    expect(read.status).toBe(200);
    const patched = await authed(admin.tokens.access_token, `/items/${item.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ title: 'Moderated' }),
    });
    expect(await patched.json()).toMatchObject({ title: 'Moderated', owner_id: owner.id });
    await authed(admin.tokens.access_token, `/items/${item.id}`, { method: 'DELETE' });

    const hidden = await authed(admin.tokens.access_token, `/items/${item.id}`);
    expect(hidden.status).toBe(404);
    const shown = await authed(admin.tokens.access_token, `/items/${item.id}?include_deleted=true`);
    expect(shown.status).toBe(200);
    expect((await shown.json<{ deleted_at: string | null }>()).deleted_at).not.toBeNull();
    const listed = await authed(
      admin.tokens.access_token,
      `/items?include_deleted=true&q=Moderated&limit=100`,
    );
    const page = await listed.json<{ items: { id: number }[] }>();
    expect(page.items.map((entry) => entry.id)).toContain(item.id);
  });

  it('refuses include_deleted to a user who is not a superuser', async () => {
    const owner = await itemOwner();
    const response = await authed(owner.token, '/items?include_deleted=true');
    expect(response.status).toBe(403);
    expect((await readProblem(response)).code).toBe('FORBIDDEN');
  });
});
