import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { posts } from '../../../src/platform/db/schema';
import { createPost, postRow, postsUser, rootToken, setRole } from '../../helpers/posts';
import { authed, testDb } from '../../helpers/users';
import { readProblem } from '../../helpers/worker';

const marker = () => `m${crypto.randomUUID().slice(0, 8)}`;

const create = (token: string, body: unknown = { title: 'Hello', content: 'World' }) =>
  authed(token, '/posts', { method: 'POST', body: JSON.stringify(body) });

/** The titles `token`'s holder sees in the list searched for `q`, sorted. */
async function titlesSeen(token: string, q: string) {
  const response = await authed(token, `/posts?q=${q}&sort=title`);
  expect(response.status).toBe(200);
  const page = await response.json<{ items: { title: string }[] }>();
  return page.items.map((post) => post.title);
}

async function postsBy(authorId: number) {
  const [row] = await testDb()
    .select({ value: count() })
    .from(posts)
    .where(eq(posts.authorId, authorId));
  return row?.value;
}

describe('posts: permissions (issue 11)', () => {
  it('lets a viewer list but not create (403 naming posts:create) until editor is granted, and again not once revoked', async () => {
    const user = await postsUser();
    expect((await authed(user.token, '/posts')).status).toBe(200);

    const denied = await create(user.token);
    expect(denied.status).toBe(403);
    const problem = await readProblem(denied);
    expect(problem.code).toBe('FORBIDDEN');
    expect(problem.detail).toBe('Missing permission posts:create');

    await setRole('PUT', user.id, 'editor');
    const created = await create(user.token);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ title: 'Hello', author_id: user.id });

    await setRole('DELETE', user.id, 'editor');
    const deniedAgain = await create(user.token);
    expect(deniedAgain.status).toBe(403);
    expect((await readProblem(deniedAgain)).detail).toBe('Missing permission posts:create');
    expect(await postsBy(user.id)).toBe(1);
  });

  it('refuses an editor a delete (403 naming the role admin) and lets an admin delete (204)', async () => {
    const editor = await postsUser('editor');
    const admin = await postsUser('admin');
    const post = await createPost(editor.token, { published: true });

    const refused = await authed(editor.token, `/posts/${post.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(403);
    expect((await readProblem(refused)).detail).toBe('Missing role admin');
    expect((await postRow(post.id))?.deletedAt).toBeNull();

    const deleted = await authed(admin.token, `/posts/${post.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await postRow(post.id))?.deletedAt).toBeInstanceOf(Date);
    expect((await authed(editor.token, `/posts/${post.id}`)).status).toBe(404);
  });

  it('lets an editor change any post, and a viewer none (403 naming posts:update, row unchanged)', async () => {
    const author = await postsUser('editor');
    const otherEditor = await postsUser('editor');
    const viewer = await postsUser();
    const post = await createPost(author.token, { title: 'Original', published: true });

    for (const method of ['PATCH', 'PUT']) {
      const refused = await authed(viewer.token, `/posts/${post.id}`, {
        method,
        body: JSON.stringify({ title: 'Vandalised', content: 'x' }),
      });
      expect(refused.status).toBe(403);
      expect((await readProblem(refused)).detail).toBe('Missing permission posts:update');
    }
    expect((await postRow(post.id))?.title).toBe('Original');

    const edited = await authed(otherEditor.token, `/posts/${post.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ title: 'Edited' }),
    });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({ title: 'Edited', author_id: author.id });

    // A user who loses posts:update can no longer change even their own posts.
    await setRole('DELETE', author.id, 'editor');
    const own = await authed(author.token, `/posts/${post.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ title: 'Mine' }),
    });
    expect(own.status).toBe(403);
    expect((await postRow(post.id))?.title).toBe('Edited');
  });

  it('refuses author_id or unknown fields in a create with 422 and stores nothing', async () => {
    const editor = await postsUser('editor');
    const other = await postsUser();
    for (const body of [
      { title: 'Mine', content: 'x', author_id: other.id },
      { title: 'Mine', content: 'x', version: 7 },
      { title: '', content: 'x' },
      { title: 'No content' },
    ]) {
      const response = await create(editor.token, body);
      expect(response.status).toBe(422);
      expect((await readProblem(response)).code).toBe('VALIDATION_ERROR');
    }
    expect(await postsBy(editor.id)).toBe(0);
    expect(await postsBy(other.id)).toBe(0);
  });
});

describe('posts: who sees drafts (issue 11)', () => {
  it('shows readers published posts only, authors also their own drafts, editors and admins every draft', async () => {
    const q = marker();
    const alice = await postsUser('editor');
    const bob = await postsUser('editor');
    const aliceDraft = await createPost(alice.token, { title: `${q} alice draft` });
    await createPost(alice.token, { title: `${q} alice published`, published: true });
    const bobDraft = await createPost(bob.token, { title: `${q} bob draft` });
    // Alice stays the author of her posts but is a plain viewer from now on.
    await setRole('DELETE', alice.id, 'editor');
    const viewer = await postsUser();
    const admin = await postsUser('admin');

    const published = [`${q} alice published`];
    const all = [`${q} alice draft`, `${q} alice published`, `${q} bob draft`];
    expect(await titlesSeen(viewer.token, q)).toEqual(published);
    expect(await titlesSeen(alice.token, q)).toEqual([`${q} alice draft`, `${q} alice published`]);
    expect(await titlesSeen(bob.token, q)).toEqual(all);
    expect(await titlesSeen(admin.token, q)).toEqual(all);
    expect(await titlesSeen(await rootToken(), q)).toEqual(all);

    const missing = await authed(viewer.token, `/posts/${aliceDraft.id}`);
    expect(missing.status).toBe(404);
    expect((await readProblem(missing)).code).toBe('NOT_FOUND');
    expect((await authed(alice.token, `/posts/${aliceDraft.id}`)).status).toBe(200);
    expect((await authed(alice.token, `/posts/${bobDraft.id}`)).status).toBe(404);
    expect((await authed(bob.token, `/posts/${aliceDraft.id}`)).status).toBe(200);
  });

  it('shows a draft to readers once it is published, through their cached list and read', async () => {
    const q = marker();
    const editor = await postsUser('editor');
    const viewer = await postsUser();
    const draft = await createPost(editor.token, { title: `${q} soon` });
    // The editor's cached page (with the draft) is not the viewer's.
    expect(await titlesSeen(editor.token, q)).toEqual([`${q} soon`]);
    expect(await titlesSeen(viewer.token, q)).toEqual([]);
    expect((await authed(viewer.token, `/posts/${draft.id}`)).status).toBe(404);

    const publish = await authed(editor.token, `/posts/${draft.id}`, {
      method: 'PATCH',
      headers: { 'If-Match': draft.etag },
      body: JSON.stringify({ published: true }),
    });
    expect(publish.status).toBe(200);
    expect(await titlesSeen(viewer.token, q)).toEqual([`${q} soon`]);
    expect((await authed(viewer.token, `/posts/${draft.id}`)).status).toBe(200);

    // PUT without `published` makes it a draft again.
    const replaced = await authed(editor.token, `/posts/${draft.id}`, {
      method: 'PUT',
      body: JSON.stringify({ title: `${q} back`, content: 'Again' }),
    });
    expect(await replaced.json()).toMatchObject({ title: `${q} back`, published: false });
    expect(await titlesSeen(viewer.token, q)).toEqual([]);
  });
});
