import { env } from 'cloudflare:test';
import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { POLICY_VERSION_KEY } from '../../../src/modules/rbac/rbac.policy';
import { posts } from '../../../src/platform/db/schema';
import { getRedis } from '../../../src/platform/redis';
import { getSettings } from '../../../src/settings';
import { cacheOutcome, dbStats, taggedDb } from '../../helpers/db-stats';
import { createPost, postRow, postsUser } from '../../helpers/posts';
import { authed, bearer, testDb } from '../../helpers/users';
import { API, ORIGIN, readProblem, workerWith } from '../../helpers/worker';

describe('posts: ETags and If-Match (issue 11)', () => {
  it('answers a repeated GET with 304 and refuses a stale If-Match with 412, changing nothing', async () => {
    const editor = await postsUser('editor');
    const post = await createPost(editor.token, { title: 'v1', published: true });
    const again = await authed(editor.token, `/posts/${post.id}`, {
      headers: { 'If-None-Match': post.etag },
    });
    expect(again.status).toBe(304);

    const updated = await authed(editor.token, `/posts/${post.id}`, {
      method: 'PATCH',
      headers: { 'If-Match': post.etag },
      body: JSON.stringify({ title: 'v2' }),
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('ETag')).not.toBe(post.etag);

    for (const [method, body] of [
      ['PATCH', { title: 'v3' }],
      ['PUT', { title: 'v3', content: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const stale = await authed(editor.token, `/posts/${post.id}`, {
        method,
        headers: { 'If-Match': post.etag },
        ...(body && { body: JSON.stringify(body) }),
      });
      if (method === 'DELETE') {
        // The role guard comes first: an editor is refused before the ETag is looked at.
        expect(stale.status).toBe(403);
        continue;
      }
      expect(stale.status).toBe(412);
      expect((await readProblem(stale)).code).toBe('PRECONDITION_FAILED');
    }
    const row = await postRow(post.id);
    expect([row?.title, row?.version, row?.deletedAt]).toEqual(['v2', 2, null]);
  });

  it('lets one of two writers racing with the same If-Match win', async () => {
    const a = await postsUser('editor');
    const b = await postsUser('editor');
    const post = await createPost(a.token);
    const write = (token: string, title: string) =>
      authed(token, `/posts/${post.id}`, {
        method: 'PATCH',
        headers: { 'If-Match': post.etag },
        body: JSON.stringify({ title }),
      });
    const statuses = (await Promise.all([write(a.token, 'A'), write(b.token, 'B')])).map(
      (response) => response.status,
    );
    expect(statuses.sort()).toEqual([200, 412]);
    expect((await postRow(post.id))?.version).toBe(2);
  });
});

describe('posts: Idempotency-Key (issue 11)', () => {
  it('replays the first 201 for a retried POST and creates one post', async () => {
    const editor = await postsUser('editor');
    const key = crypto.randomUUID();
    const send = (title: string) =>
      authed(editor.token, '/posts', {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: JSON.stringify({ title, content: 'Once' }),
      });
    const first = await send('Once');
    expect(first.status).toBe(201);
    const replay = await send('Once');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await replay.text()).toBe(await first.text());
    const reused = await send('Other');
    expect(reused.status).toBe(422);
    expect((await readProblem(reused)).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const [row] = await testDb()
      .select({ value: count() })
      .from(posts)
      .where(eq(posts.authorId, editor.id));
    expect(row?.value).toBe(1);
  });
});

/** One isolate with its database traffic counted: its enforcer and clients persist across calls. */
function countedIsolate() {
  const { tag, settings } = taggedDb();
  const worker = workerWith(settings);
  const call = (path: string, init?: RequestInit) =>
    worker(new Request(`${ORIGIN}${API}${path}`, init));
  return { call, roundTrips: async () => (await dbStats(tag)).requests };
}

/**
 * Runs `measure` until the role policy stayed unchanged during a run: other test files change
 * it, and an isolate rebuilds its enforcer (one query) after a change.
 */
async function withStablePolicy(measure: () => Promise<void>) {
  const redis = getRedis(getSettings(env));
  const version = () => redis.get(POLICY_VERSION_KEY);
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await version();
    const failure = await measure().then(
      () => undefined,
      (error: unknown) => error,
    );
    if ((await version()) !== before) continue;
    if (failure) throw failure;
    return;
  }
  throw new Error('The role policy changed during every attempt');
}

describe('posts: database round trips (issue 11)', () => {
  it('lists as a viewer with 1 round trip, then 0 from the cache: authorization costs none', async () => {
    const viewer = await postsUser();
    await withStablePolicy(async () => {
      const { call, roundTrips } = countedIsolate();
      const list = (query: string) => call(`/posts?${query}`, { headers: bearer(viewer.token) });
      // This isolate's first request builds its enforcer and caches the viewer's roles.
      expect((await list('limit=1')).status).toBe(200);
      const before = await roundTrips();

      const miss = await list(`limit=2&q=${crypto.randomUUID()}`);
      expect(cacheOutcome(miss)).toBe('miss');
      expect((await roundTrips()) - before).toBe(1);
      const hit = await list('limit=1');
      expect(cacheOutcome(hit)).toBe('hit');
      expect((await roundTrips()) - before).toBe(1);
    });
  });

  it('creates as an editor with 1 round trip', async () => {
    const editor = await postsUser('editor');
    await withStablePolicy(async () => {
      const { call, roundTrips } = countedIsolate();
      expect((await call('/posts?limit=1', { headers: bearer(editor.token) })).status).toBe(200);
      const before = await roundTrips();
      const created = await call('/posts', {
        method: 'POST',
        headers: { ...bearer(editor.token), 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'Counted', content: 'x' }),
      });
      expect(created.status).toBe(201);
      expect((await roundTrips()) - before).toBe(1);
    });
  });
});
