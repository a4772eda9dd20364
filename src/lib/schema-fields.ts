import { z } from '@hono/zod-openapi';

/**
 * The largest Postgres `integer`: ids and offsets beyond it are invalid input, not a 500. Modules
 * written by `npm run new:module` with an integer field import it.
 *
 * @public
 */
export const MAX_INT4 = 2_147_483_647;

/**
 * A Postgres `integer` (an id, a count, an offset): `format: int32` in the document, with its
 * bounds, so generated clients pick the right type and nothing unbounded is accepted.
 *
 * @example
 * z.object({ id: int32(1), total: int32() });
 */
export function int32(min = 0, max = MAX_INT4) {
  return z.number().int().min(min).max(max).openapi({ format: 'int32' });
}

/** Room for any ISO 8601 timestamp to the microsecond with an offset (`2026-11-30T18:16:42.693512+00:00`). */
export const TIMESTAMP_LENGTH = 35;

/**
 * A timestamp the server writes: ISO 8601, `format: date-time` with a `maxLength`.
 *
 * @example
 * z.object({ created_at: timestamp(), deleted_at: timestamp().nullable() });
 */
export function timestamp() {
  return z.iso.datetime().max(TIMESTAMP_LENGTH);
}
