import { and, eq, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { AppError } from '../../lib/errors';
import type { ListQuery } from '../../lib/list-query';
import type { Cache } from '../../platform/cache';
import type { Database } from '../../platform/db/client';
import { type ListSpec, listPage } from '../../platform/db/list';
import { posts } from '../../platform/db/schema';
import { forgetResource, rememberList, rememberOne } from '../../platform/resource-cache';
import type { Settings } from '../../settings';
import type { PostCreate, PostRead, PostUpdate } from './posts.schemas';

export interface PostsDeps {
  db: Database;
  cache: Cache;
  settings: Settings;
}

/**
 * Who is asking. `editor`: holds `posts:update` (or is a superuser), so sees every draft and may
 * change any post; anyone else sees published posts and their own drafts.
 */
export interface Reader {
  id: number;
  is_superuser: boolean;
  editor: boolean;
}

type PostRow = typeof posts.$inferSelect;

/** A post with its version, which is its ETag. */
export interface VersionedPost {
  post: PostRead;
  version: number;
}

const POSTS_CACHE = { name: 'posts', ttlSeconds: 300 };

const POSTS_LIST: ListSpec<typeof posts> = {
  name: 'posts',
  table: posts,
  id: posts.id,
  createdAt: posts.createdAt,
  sortable: { created_at: posts.createdAt, updated_at: posts.updatedAt, title: posts.title },
  search: [posts.title, posts.content],
};

function toPostRead(row: PostRow): PostRead {
  return {
    id: row.id,
    title: row.title,
    content: row.content,
    published: row.published,
    author_id: row.authorId,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    deleted_at: row.deletedAt?.toISOString() ?? null,
  };
}

const versioned = (row: PostRow): VersionedPost => ({
  post: toPostRead(row),
  version: row.version,
});

const live = isNull(posts.deletedAt);

/** The rows `reader` may see: all for an editor, else published ones and their own drafts. */
const visibleTo = (reader: Reader): SQL | undefined =>
  reader.editor ? undefined : or(eq(posts.published, true), eq(posts.authorId, reader.id));

const sees = (reader: Reader, post: PostRead) =>
  reader.editor || post.published || post.author_id === reader.id;

/** A draft of someone else is "not found", never "forbidden": its existence is not revealed. */
const notFound = (id: number) => new AppError('NOT_FOUND', { detail: `Post ${id} does not exist` });

function checkIncludeDeleted(reader: Reader, includeDeleted: boolean) {
  if (includeDeleted && !reader.is_superuser) {
    throw new AppError('FORBIDDEN', { detail: 'include_deleted is for superusers' });
  }
}

/** A page of the posts `reader` may see, cached until any post changes. */
export async function listPosts(deps: PostsDeps, reader: Reader, query: ListQuery) {
  checkIncludeDeleted(reader, query.include_deleted);
  const load = async () => {
    const where = and(visibleTo(reader), query.include_deleted ? undefined : live);
    const page = await listPage(deps.db, POSTS_LIST, where, query, deps.settings.SECRET_KEY);
    return { ...page, items: page.items.map(toPostRead) };
  };
  // Deleted rows leave through the purge, which does not invalidate: never cache them.
  if (query.include_deleted) return load();
  // Published posts of every author are in every reader's list, so every page is a list across
  // owners (dropped by any write); `drafts` keeps a reader's own drafts out of others' pages.
  const drafts = reader.editor ? 'all' : `own:${reader.id}`;
  return rememberList(deps.cache, POSTS_CACHE, null, { ...query, drafts }, load);
}

/** Post `id` if `reader` may see it (cached), else 404. */
export async function getPost(
  deps: PostsDeps,
  reader: Reader,
  id: number,
  includeDeleted = false,
): Promise<VersionedPost> {
  checkIncludeDeleted(reader, includeDeleted);
  const find = async () => {
    const [row] = await deps.db
      .select()
      .from(posts)
      .where(and(eq(posts.id, id), includeDeleted ? undefined : live))
      .limit(1);
    return row ? versioned(row) : null;
  };
  const found = includeDeleted
    ? await find()
    : await rememberOne(deps.cache, POSTS_CACHE, id, find);
  if (!found || !sees(reader, found.post)) throw notFound(id);
  return found;
}

export async function createPost(
  deps: PostsDeps,
  author: { id: number },
  input: PostCreate,
): Promise<VersionedPost> {
  const [row] = await deps.db
    .insert(posts)
    .values({
      title: input.title,
      content: input.content,
      published: input.published,
      authorId: author.id,
    })
    .returning();
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  await forgetResource(deps.cache, POSTS_CACHE, row.id, row.authorId);
  return versioned(row);
}

/**
 * Writes `changes` to post `id` in ONE statement whose `WHERE` holds every condition: the post
 * is live, matches `allowed`, and (with `If-Match`) has a version the client saw. Two writers
 * racing with the same `If-Match` cannot both win: the first bumps the version, so the second's
 * statement matches no row. Only then a read tells 404 from 412.
 */
async function writePost(
  deps: PostsDeps,
  allowed: SQL | undefined,
  id: number,
  changes: Partial<Pick<PostRow, 'title' | 'content' | 'published' | 'deletedAt'>>,
  ifMatch: number[] | undefined,
): Promise<PostRow> {
  const { db } = deps;
  const target = and(eq(posts.id, id), live, allowed);
  const [row] = await db
    .update(posts)
    .set({ ...changes, version: sql`${posts.version} + 1` })
    .where(and(target, ifMatch && inArray(posts.version, ifMatch)))
    .returning();
  if (!row) {
    if (ifMatch) {
      const [exists] = await db.select({ id: posts.id }).from(posts).where(target).limit(1);
      if (exists) {
        throw new AppError('PRECONDITION_FAILED', {
          detail: `Post ${id} changed since the ETag in If-Match; read it again`,
        });
      }
    }
    throw notFound(id);
  }
  await forgetResource(deps.cache, POSTS_CACHE, row.id, row.authorId);
  return row;
}

/**
 * Changes post `id`. An editor (`posts:update`, which the routes require) changes any post;
 * anyone else only their own, and others' posts are 404 to them.
 */
export async function updatePost(
  deps: PostsDeps,
  writer: Reader,
  id: number,
  input: PostUpdate,
  ifMatch: number[] | undefined,
): Promise<VersionedPost> {
  const allowed = writer.editor ? undefined : eq(posts.authorId, writer.id);
  const changes = { title: input.title, content: input.content, published: input.published };
  return versioned(await writePost(deps, allowed, id, changes, ifMatch));
}

/** Soft delete of any post (the route requires the role `admin`), purged after retention. */
export async function deletePost(
  deps: PostsDeps,
  id: number,
  ifMatch: number[] | undefined,
): Promise<void> {
  await writePost(deps, undefined, id, { deletedAt: new Date() }, ifMatch);
}

/** Hard-deletes posts soft-deleted before `cutoff`; returns how many. */
export async function purgeDeletedPosts(db: Database, cutoff: SQL): Promise<number> {
  const purged = await db.delete(posts).where(lt(posts.deletedAt, cutoff));
  return purged.rowCount ?? 0;
}
