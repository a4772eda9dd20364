import { and, count, gte, ilike, lt, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { decodeCursor, encodeCursor } from '../../lib/cursor';
import { AppError } from '../../lib/errors';
import { containsPattern, type ListQuery } from '../../lib/list-query';
import type { Database } from './client';

/** How one table is listed: what `sort` may name, what `q` searches, and its key columns. */
export interface ListSpec<T extends PgTable> {
  /** The list's name, bound into its cursors: a cursor of another list is refused. */
  name: string;
  table: T;
  /** The unique tiebreaker of every sort (and the cursor's second key). */
  id: PgColumn;
  createdAt: PgColumn;
  /** `sort` field name → a NOT NULL column. */
  sortable: Record<string, PgColumn>;
  /** Columns `q` matches, case-insensitively. */
  search: PgColumn[];
}

/** A page from {@link listPage}: rows in offset or cursor mode. */
export interface RowPage<R> {
  items: R[];
  total?: number;
  skip?: number;
  limit: number;
  has_next: boolean;
  next_cursor: string | null;
}

const badCursor = () =>
  new AppError('VALIDATION_ERROR', {
    detail: 'The cursor is invalid or belongs to another list or sort',
    errors: [{ path: 'query.cursor', message: 'Invalid cursor', code: 'invalid_cursor' }],
  });

/** `sort` (`-title`) as its column and direction; undefined when it is not on the allowlist. */
function sortOf<T extends PgTable>(spec: ListSpec<T>, sort: string) {
  const descending = sort.startsWith('-');
  const column = spec.sortable[descending ? sort.slice(1) : sort];
  return column && { column, descending };
}

/**
 * One page of `spec.table` rows matching `where` and the query's filters (`q`,
 * `created_after`, `created_before`), ordered by `sort` then id, in one database round trip.
 * Offset mode (`skip`) counts the matches in the same batch; cursor mode (`cursor` present,
 * empty for the first page) seeks past the cursor's (sort value, id) with the index and never
 * counts, so deep pages cost as little as the first and rows inserted during a walk neither
 * repeat nor shift others. Every page ends with `next_cursor`; a tampered one is a 422.
 *
 * @example
 * const page = await listPage(db, ITEMS_LIST, eq(items.ownerId, user.id), query, settings.SECRET_KEY);
 */
export async function listPage<T extends PgTable>(
  db: Database,
  spec: ListSpec<T>,
  where: SQL | undefined,
  query: ListQuery,
  secret: string,
): Promise<RowPage<T['$inferSelect']>> {
  let sort = query.sort;
  let after: SQL | undefined;
  if (query.cursor) {
    const position = decodeCursor(secret, query.cursor);
    const seek = position?.list === spec.name ? sortOf(spec, position.sort) : undefined;
    if (!position || !seek) throw badCursor();
    sort = position.sort;
    const { column, descending } = seek;
    const type = sql.raw(column.getSQLType());
    const idType = sql.raw(spec.id.getSQLType());
    after = sql`(${column}, ${spec.id}) ${sql.raw(descending ? '<' : '>')} (${position.key}::${type}, ${position.id}::${idType})`;
  }
  const order = sortOf(spec, sort);
  if (!order) throw new TypeError(`${spec.name}: ${sort} is not a sortable field`);
  const { column, descending } = order;
  const direction = sql.raw(descending ? 'desc' : 'asc');
  const filter = and(
    where,
    query.q
      ? or(...spec.search.map((field) => ilike(field, containsPattern(query.q ?? ''))))
      : undefined,
    // The API shows milliseconds and Postgres keeps microseconds: "after 10:00:00.123" must not
    // match 10:00:00.123456, which clients see as .123 itself.
    query.created_after
      ? gte(spec.createdAt, new Date(query.created_after.getTime() + 1))
      : undefined,
    query.created_before ? lt(spec.createdAt, query.created_before) : undefined,
  );
  const cursorMode = query.cursor !== undefined;
  const rows = db
    .select({ row: spec.table, key: sql<string>`(${column})::text`, rowId: spec.id } as never)
    .from(spec.table as PgTable)
    .where(and(filter, after))
    .orderBy(sql`${column} ${direction}`, sql`${spec.id} ${direction}`)
    .limit(cursorMode ? query.limit + 1 : query.limit)
    .offset(cursorMode ? 0 : query.skip);

  type Selected = { row: T['$inferSelect']; key: string; rowId: number };
  const nextCursor = (last: Selected | undefined) =>
    last
      ? encodeCursor(secret, {
          list: spec.name,
          sort,
          key: last.key,
          id: last.rowId,
        })
      : null;

  if (cursorMode) {
    const selected = (await rows) as unknown as Selected[];
    const page = selected.slice(0, query.limit);
    const hasNext = selected.length > query.limit;
    return {
      items: page.map((entry) => entry.row),
      limit: query.limit,
      has_next: hasNext,
      next_cursor: hasNext ? nextCursor(page.at(-1)) : null,
    };
  }
  const [selected, [counted]] = await db.batch([
    rows,
    db
      .select({ value: count() })
      .from(spec.table as PgTable)
      .where(filter),
  ]);
  const page = selected as unknown as Selected[];
  const total = counted?.value ?? 0;
  const hasNext = query.skip + page.length < total;
  return {
    items: page.map((entry) => entry.row),
    total,
    skip: query.skip,
    limit: query.limit,
    has_next: hasNext,
    next_cursor: hasNext ? nextCursor(page.at(-1)) : null,
  };
}
