import { and, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { AppError } from '../../lib/errors';
import type { ListQuery } from '../../lib/list-query';
import type { Cache } from '../../platform/cache';
import type { Database } from '../../platform/db/client';
import { type ListSpec, listPage } from '../../platform/db/list';
import { items } from '../../platform/db/schema';
import { forgetResource, rememberList, rememberOne } from '../../platform/resource-cache';
import type { Settings } from '../../settings';
import type { ItemCreate, ItemRead, ItemUpdate } from './items.schemas';

export interface ItemsDeps {
  db: Database;
  cache: Cache;
  settings: Settings;
}

/** Who is asking: owners see their items, superusers every item. */
export interface Actor {
  id: number;
  is_superuser: boolean;
}

type ItemRow = typeof items.$inferSelect;

/** An item with its version, which is its ETag. */
export interface VersionedItem {
  item: ItemRead;
  version: number;
}

const ITEMS_CACHE = { name: 'items', ttlSeconds: 300 };

// #region list-spec
const ITEMS_LIST: ListSpec<typeof items> = {
  name: 'items',
  table: items,
  id: items.id,
  createdAt: items.createdAt,
  sortable: { created_at: items.createdAt, updated_at: items.updatedAt, title: items.title },
  search: [items.title, items.description],
};
// #endregion list-spec

function toItemRead(row: ItemRow): ItemRead {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    owner_id: row.ownerId,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    deleted_at: row.deletedAt?.toISOString() ?? null,
  };
}

const versioned = (row: ItemRow): VersionedItem => ({
  item: toItemRead(row),
  version: row.version,
});

const live = isNull(items.deletedAt);

/** The rows `actor` may see or change: their own, or all for a superuser. */
const visibleTo = (actor: Actor): SQL | undefined =>
  actor.is_superuser ? undefined : eq(items.ownerId, actor.id);

/** Someone else's item is "not found", never "forbidden": its existence is not revealed. */
const notFound = (id: number) => new AppError('NOT_FOUND', { detail: `Item ${id} does not exist` });

function checkIncludeDeleted(actor: Actor, includeDeleted: boolean) {
  if (includeDeleted && !actor.is_superuser) {
    throw new AppError('FORBIDDEN', { detail: 'include_deleted is for superusers' });
  }
}

/** A page of the items `actor` may see, cached until one of them changes. */
export async function listItems(deps: ItemsDeps, actor: Actor, query: ListQuery) {
  checkIncludeDeleted(actor, query.include_deleted);
  const load = async () => {
    const where = and(visibleTo(actor), query.include_deleted ? undefined : live);
    const page = await listPage(deps.db, ITEMS_LIST, where, query, deps.settings.SECRET_KEY);
    return { ...page, items: page.items.map(toItemRead) };
  };
  // Deleted rows leave through the purge, which does not invalidate: never cache them.
  if (query.include_deleted) return load();
  const owner = actor.is_superuser ? null : actor.id;
  return rememberList(deps.cache, ITEMS_CACHE, owner, { ...query }, load);
}

/** Item `id` if `actor` may see it (cached), else 404. */
export async function getItem(
  deps: ItemsDeps,
  actor: Actor,
  id: number,
  includeDeleted = false,
): Promise<VersionedItem> {
  checkIncludeDeleted(actor, includeDeleted);
  const find = async () => {
    const [row] = await deps.db
      .select()
      .from(items)
      .where(and(eq(items.id, id), includeDeleted ? undefined : live))
      .limit(1);
    return row ? versioned(row) : null;
  };
  const found = includeDeleted
    ? await find()
    : await rememberOne(deps.cache, ITEMS_CACHE, id, find);
  if (!found || !(actor.is_superuser || found.item.owner_id === actor.id)) throw notFound(id);
  return found;
}

export async function createItem(
  deps: ItemsDeps,
  actor: Actor,
  input: ItemCreate,
): Promise<VersionedItem> {
  const [row] = await deps.db
    .insert(items)
    .values({ title: input.title, description: input.description ?? null, ownerId: actor.id })
    .returning();
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  await forgetResource(deps.cache, ITEMS_CACHE, row.id, row.ownerId);
  return versioned(row);
}

/**
 * Writes `changes` to item `id` in ONE statement whose `WHERE` holds every condition: the item
 * is live, `actor` may change it, and (with `If-Match`) its version is one the client saw. Two
 * writers racing with the same `If-Match` cannot both win: the first bumps the version, so the
 * second's statement matches no row. Only then a read tells 404 from 412.
 */
async function writeItem(
  deps: ItemsDeps,
  actor: Actor,
  id: number,
  changes: Partial<Pick<ItemRow, 'title' | 'description' | 'deletedAt'>>,
  ifMatch: number[] | undefined,
): Promise<ItemRow> {
  const { db } = deps;
  const target = and(eq(items.id, id), live, visibleTo(actor));
  const [row] = await db
    .update(items)
    .set({ ...changes, version: sql`${items.version} + 1` })
    .where(and(target, ifMatch && inArray(items.version, ifMatch)))
    .returning();
  if (!row) {
    if (ifMatch) {
      const [exists] = await db.select({ id: items.id }).from(items).where(target).limit(1);
      if (exists) {
        throw new AppError('PRECONDITION_FAILED', {
          detail: `Item ${id} changed since the ETag in If-Match; read it again`,
        });
      }
    }
    throw notFound(id);
  }
  await forgetResource(deps.cache, ITEMS_CACHE, row.id, row.ownerId);
  return row;
}

export async function updateItem(
  deps: ItemsDeps,
  actor: Actor,
  id: number,
  input: ItemUpdate,
  ifMatch: number[] | undefined,
): Promise<VersionedItem> {
  const changes = { title: input.title, description: input.description };
  return versioned(await writeItem(deps, actor, id, changes, ifMatch));
}

/** Soft delete: hidden at once, purged after `SOFT_DELETE_RETENTION_DAYS`. */
export async function deleteItem(
  deps: ItemsDeps,
  actor: Actor,
  id: number,
  ifMatch: number[] | undefined,
): Promise<void> {
  await writeItem(deps, actor, id, { deletedAt: new Date() }, ifMatch);
}

/** Hard-deletes items soft-deleted before `cutoff`; returns how many. */
export async function purgeDeletedItems(db: Database, cutoff: SQL): Promise<number> {
  const purged = await db.delete(items).where(lt(items.deletedAt, cutoff));
  return purged.rowCount ?? 0;
}
