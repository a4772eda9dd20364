import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { items } from '../../../src/platform/db/schema';
import { itemOwner } from '../../helpers/items';
import { authed, testDb } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

async function itemsOf(ownerId: number) {
  const [row] = await testDb()
    .select({ value: count() })
    .from(items)
    .where(eq(items.ownerId, ownerId));
  return row?.value;
}

const post = (token: string, key: string, body: unknown) =>
  authed(token, '/items', {
    method: 'POST',
    headers: { 'Idempotency-Key': key },
    body: JSON.stringify(body),
  });

describe('Idempotency-Key on POST /items', () => {
  it('replays the first response (status, body, ETag, Location) and creates one row', async () => {
    const owner = await itemOwner();
    const key = crypto.randomUUID();
    const first = await post(owner.token, key, { title: 'Once' });
    expect(first.status).toBe(201);
    const body = await first.text();
    const replay = await post(owner.token, key, { title: 'Once' });
    expect(replay.status).toBe(201);
    expect(await replay.text()).toBe(body);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    for (const header of ['ETag', 'Location', 'Content-Type']) {
      expect(replay.headers.get(header)).toBe(first.headers.get(header));
    }
    expect(await itemsOf(owner.id)).toBe(1);
  });

  it('creates one row for 10 concurrent POSTs with one key', async () => {
    const owner = await itemOwner();
    const key = crypto.randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(owner.token, key, { title: 'Concurrent' })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(statuses).toContain(201);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect((await readProblem(response)).code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    }
    expect(await itemsOf(owner.id)).toBe(1);
  });

  it('refuses the same key with another body with 422 and creates nothing more', async () => {
    const owner = await itemOwner();
    const key = crypto.randomUUID();
    expect((await post(owner.token, key, { title: 'First' })).status).toBe(201);
    const reused = await post(owner.token, key, { title: 'Second' });
    expect(reused.status).toBe(422);
    expect((await readProblem(reused)).code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await itemsOf(owner.id)).toBe(1);
  });

  it('keeps keys per user: another user with the same key creates their own item', async () => {
    const a = await itemOwner();
    const b = await itemOwner();
    const key = crypto.randomUUID();
    expect((await post(a.token, key, { title: 'Same' })).status).toBe(201);
    const other = await post(b.token, key, { title: 'Same' });
    expect(other.status).toBe(201);
    expect(other.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await itemsOf(b.id)).toBe(1);
  });

  it('refuses a key longer than 255 characters with 422', async () => {
    const owner = await itemOwner();
    const response = await post(owner.token, 'k'.repeat(256), { title: 'Long key' });
    expect(response.status).toBe(422);
    expect((await readProblem(response)).errors?.[0]?.path).toBe('header.Idempotency-Key');
    expect(await itemsOf(owner.id)).toBe(0);
  });
});
