import { z } from '@hono/zod-openapi';
import { PAGE_SIZE_CEILING, type Settings } from '../settings';
import { PageQuerySchema, resolvePage } from './pagination';
import { int32, TIMESTAMP_LENGTH } from './schema-fields';

/** `?include_deleted=true|false`, as query strings carry booleans. */
export const IncludeDeletedSchema = z
  .enum(['true', 'false'])
  .default('false')
  .transform((value) => value === 'true')
  .openapi({
    type: 'string',
    enum: ['true', 'false'],
    description: 'Superusers only: include soft-deleted rows',
  });

const instant = z.iso
  .datetime({ offset: true })
  .max(TIMESTAMP_LENGTH)
  .transform((value) => new Date(value))
  .openapi({ type: 'string', format: 'date-time', maxLength: TIMESTAMP_LENGTH });

/**
 * The query of a collection: offset (`skip`, `limit`) or cursor (`cursor`, `limit`) paging,
 * `q` (case-insensitive substring; `%` and `_` match themselves), `sort` on the allowlist
 * `fields` (`-field` for descending; anything else is a 422 naming the allowed values),
 * `created_after` / `created_before` (exclusive) and `include_deleted`.
 *
 * @example
 * request: { query: listQuerySchema(['created_at', 'updated_at', 'title'], '-created_at') }
 */
export function listQuerySchema<const F extends string>(
  fields: readonly [F, ...F[]],
  defaultSort: F | `-${F}`,
) {
  const allowed = fields.flatMap((field) => [field, `-${field}` as const]);
  const sort = z.enum(allowed as [F | `-${F}`, ...(F | `-${F}`)[]], {
    error: () => `sort must be one of: ${allowed.join(', ')}`,
  });
  return PageQuerySchema.extend({
    cursor: z.string().max(1000).optional().openapi({
      description:
        'Cursor paging: empty for the first page, then `next_cursor` of the previous one. No `total`.',
    }),
    q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Search text' }),
    // The generic enum hides that `defaultSort` is one of its values; the signature guarantees it.
    sort: sort.default(defaultSort as never),
    created_after: instant.optional(),
    created_before: instant.optional(),
    include_deleted: IncludeDeletedSchema,
  });
}

/** What {@link listQuerySchema} validates, with `limit` resolved against the settings. */
export interface ListQuery {
  skip: number;
  limit: number;
  cursor?: string;
  q?: string;
  sort: string;
  created_after?: Date;
  created_before?: Date;
  include_deleted: boolean;
}

/** The validated query with `limit` defaulted and capped (`DEFAULT_PAGE_SIZE`, `MAX_PAGE_SIZE`). */
export function resolveListQuery<Q extends Omit<ListQuery, 'limit'> & { limit?: number }>(
  settings: Settings,
  query: Q,
): ListQuery {
  return { ...query, ...resolvePage(settings, query) };
}

/** A `LIKE` / `ILIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * A page of a collection: `{ items, total, skip, limit, has_next, next_cursor }` in offset mode;
 * in cursor mode there is no `total` (no COUNT) and no `skip`.
 */
export function listPageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).max(PAGE_SIZE_CEILING),
    total: int32().optional().openapi({ description: 'Offset mode only' }),
    skip: int32().optional().openapi({ description: 'Offset mode only' }),
    limit: int32(),
    has_next: z.boolean(),
    next_cursor: z
      .string()
      .max(1000)
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next page; null on the last' }),
  });
}
