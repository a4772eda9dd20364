import { describe, expect, it } from 'vitest';
import { createItem, itemOwner, itemRow } from '../../helpers/items';
import { authed } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

describe('item ETags', () => {
  it('answers a repeated GET with the returned ETag with 304 and no body', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token);
    const first = await authed(owner.token, `/items/${item.id}`);
    const etag = first.headers.get('ETag') ?? '';
    expect(etag).toBe(item.etag);
    const again = await authed(owner.token, `/items/${item.id}`, {
      headers: { 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('ETag')).toBe(etag);
    const weak = await authed(owner.token, `/items/${item.id}`, {
      headers: { 'If-None-Match': `W/${etag}` },
    });
    expect(weak.status).toBe(304);
  });

  it('answers a list page again with 304 until the list changes', async () => {
    const owner = await itemOwner();
    await createItem(owner.token);
    const first = await authed(owner.token, '/items');
    const etag = first.headers.get('ETag') ?? '';
    expect(first.headers.get('Cache-Control')).toBe('private, no-cache');
    const same = await authed(owner.token, '/items', { headers: { 'If-None-Match': etag } });
    expect(same.status).toBe(304);
    await createItem(owner.token);
    const changed = await authed(owner.token, '/items', { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('ETag')).not.toBe(etag);
  });

  it('refuses a PATCH, PUT or DELETE with a stale If-Match with 412 and changes nothing', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token, { title: 'v1' });
    const fresh = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      headers: { 'If-Match': item.etag },
      body: JSON.stringify({ title: 'v2' }),
    });
    expect(fresh.status).toBe(200);
    const before = await itemRow(item.id);
    for (const [method, body] of [
      ['PATCH', { title: 'stale' }],
      ['PUT', { title: 'stale' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await authed(owner.token, `/items/${item.id}`, {
        method,
        headers: { 'If-Match': item.etag },
        ...(body && { body: JSON.stringify(body) }),
      });
      expect(response.status).toBe(412);
      expect((await readProblem(response)).code).toBe('PRECONDITION_FAILED');
    }
    expect(await itemRow(item.id)).toEqual(before);
  });

  it('lets exactly one of two concurrent PATCHes with the same If-Match win', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token);
    const patch = (title: string) =>
      authed(owner.token, `/items/${item.id}`, {
        method: 'PATCH',
        headers: { 'If-Match': item.etag },
        body: JSON.stringify({ title }),
      });
    const responses = await Promise.all([patch('first'), patch('second')]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 412]);
    const winner = responses.find((response) => response.status === 200);
    const { title } = (await winner?.json<{ title: string }>()) ?? { title: '' };
    const row = await itemRow(item.id);
    expect(row).toMatchObject({ title, version: 2 });
  });

  it('accepts If-Match: * and a list holding the current ETag', async () => {
    const owner = await itemOwner();
    const item = await createItem(owner.token);
    const star = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      headers: { 'If-Match': '*' },
      body: JSON.stringify({ title: 'star' }),
    });
    expect(star.status).toBe(200);
    const listed = await authed(owner.token, `/items/${item.id}`, {
      method: 'PATCH',
      headers: { 'If-Match': `"7", ${star.headers.get('ETag')}` },
      body: JSON.stringify({ title: 'listed' }),
    });
    expect(listed.status).toBe(200);
  });
});
