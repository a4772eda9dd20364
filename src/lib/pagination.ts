import { z } from '@hono/zod-openapi';
import { PAGE_SIZE_CEILING, type Settings } from '../settings';
import { int32 } from './schema-fields';

/**
 * An integer query or path parameter, written in decimal digits only: `0x10`, `1e3`, `+7` or
 * ` 7` are 422, never read as numbers JavaScript would make of them.
 *
 * @example
 * z.object({ id: decimalInteger(int32(1)) });
 */
export function decimalInteger<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value),
    schema,
  );
}

/** `{id}` in a path: a positive Postgres `integer`, in decimal digits only. */
export const IdParamSchema = z.object({
  id: decimalInteger(int32(1)).openapi({
    param: { name: 'id', in: 'path' },
    example: 1,
  }),
});

/** `?skip=&limit=`; `limit` defaults to `DEFAULT_PAGE_SIZE` and is capped at `MAX_PAGE_SIZE`. */
export const PageQuerySchema = z.object({
  skip: decimalInteger(int32()).default(0).openapi({ example: 0 }),
  limit: decimalInteger(int32(1)).optional().openapi({ example: 20 }),
});

export interface Page {
  skip: number;
  limit: number;
}

export function resolvePage(settings: Settings, query: { skip: number; limit?: number }): Page {
  return {
    skip: query.skip,
    limit: Math.min(query.limit ?? settings.DEFAULT_PAGE_SIZE, settings.MAX_PAGE_SIZE),
  };
}

/** `{ items, total, skip, limit, has_next }`, the list shape of every collection. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).max(PAGE_SIZE_CEILING),
    total: int32(),
    skip: int32(),
    limit: int32(),
    has_next: z.boolean(),
  });
}

export function toPage<T>(items: T[], total: number, page: Page) {
  return { items, total, ...page, has_next: page.skip + items.length < total };
}
