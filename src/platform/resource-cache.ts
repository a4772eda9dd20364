import { type Cache, forgetTag, remember } from './cache';

/**
 * The server cache of one kind of owned resource: reads by id and list pages, cache-aside in
 * Redis, and one invalidation per write that drops the resource and every list it can be in.
 * Keys and tags: `<name>:<id>` for one resource, `<name>:owner:<id>` for an owner's list pages,
 * `<name>:all` for the pages of lists across owners (a superuser's).
 */
export interface ResourceCache {
  name: string;
  ttlSeconds: number;
}

/**
 * The resource `id` as `load` finds it (`null` for none), cached.
 *
 * @example
 * const item = await rememberOne(cache, ITEMS_CACHE, id, () => findItem(db, id));
 */
export function rememberOne<T>(
  cache: Cache,
  resource: ResourceCache,
  id: number | string,
  load: () => Promise<T>,
): Promise<T> {
  const key = `${resource.name}:${id}`;
  return remember(cache, key, resource.ttlSeconds, load, { tags: [key] });
}

/**
 * A query as a stable string: keys sorted, dates as ISO, absent values left out. An empty
 * value stays: `cursor=` asks for cursor mode, a page of another shape than the offset one.
 */
function canonical(query: Record<string, unknown>): string {
  return Object.keys(query)
    .filter((key) => query[key] !== undefined)
    .sort()
    .map((key) => {
      const value = query[key];
      return `${key}=${encodeURIComponent(value instanceof Date ? value.toISOString() : String(value))}`;
    })
    .join('&');
}

// #region remember-list
/**
 * A list page for `query`, cached. `ownerId` is whose list it is, or `null` for a list across
 * owners; a write to any resource of that owner (or any write, for `null`) drops the page.
 *
 * @example
 * const page = await rememberList(cache, ITEMS_CACHE, user.id, query, () => listItems(db, user, query));
 */
export function rememberList<T>(
  cache: Cache,
  resource: ResourceCache,
  ownerId: number | null,
  query: Record<string, unknown>,
  load: () => Promise<T>,
): Promise<T> {
  const scope = ownerId === null ? 'all' : `owner:${ownerId}`;
  const key = `${resource.name}:list:${scope}:${canonical(query)}`;
  return remember(cache, key, resource.ttlSeconds, load, {
    tags: [`${resource.name}:${scope}`],
  });
}
// #endregion remember-list

// #region forget
/**
 * Drops what a write to resource `id` of `ownerId` made stale: its cached copy, its owner's
 * list pages and the lists across owners, atomically, in one Redis request. Throws when Redis
 * fails, so a write never passes for one that invalidated.
 *
 * @example
 * await forgetResource(cache, ITEMS_CACHE, item.id, item.ownerId);
 */
export function forgetResource(
  cache: Cache,
  resource: ResourceCache,
  id: number | string,
  ownerId: number,
): Promise<void> {
  const { name } = resource;
  return forgetTag(cache, `${name}:${id}`, `${name}:owner:${ownerId}`, `${name}:all`);
}
// #endregion forget
