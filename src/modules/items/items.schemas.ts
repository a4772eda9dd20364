import { z } from '@hono/zod-openapi';
import { IncludeDeletedSchema, listPageOf, listQuerySchema } from '../../lib/list-query';
import { int32, timestamp } from '../../lib/schema-fields';

const title = z.string().trim().min(1).max(255).openapi({ example: 'Groceries' });
const description = z.string().max(255).nullable().openapi({ example: 'Milk, eggs, bread' });

export const ItemReadSchema = z
  .object({
    id: int32(1),
    title: z.string().max(255),
    description: z.string().max(255).nullable(),
    owner_id: int32(1),
    created_at: timestamp(),
    updated_at: timestamp(),
    deleted_at: timestamp().nullable(),
  })
  .openapi('Item');

export type ItemRead = z.infer<typeof ItemReadSchema>;

/** Strict: `owner_id`, `id` or any other field the server owns is a 422. */
export const ItemCreateSchema = z
  .strictObject({ title, description: description.optional() })
  .openapi('ItemCreate');

export type ItemCreate = z.infer<typeof ItemCreateSchema>;

/** PATCH: any subset of the fields. */
export const ItemUpdateSchema = z
  .strictObject({ title: title.optional(), description: description.optional() })
  .openapi('ItemUpdate');

export type ItemUpdate = z.infer<typeof ItemUpdateSchema>;

/** PUT: the whole representation; a missing `description` becomes null. */
export const ItemReplaceSchema = z
  .strictObject({ title, description: description.optional().default(null) })
  .openapi('ItemReplace');

export const ItemPageSchema = listPageOf(ItemReadSchema).openapi('ItemPage');

export const ItemListQuerySchema = listQuerySchema(
  ['created_at', 'updated_at', 'title'],
  '-created_at',
);

export const ItemReadQuerySchema = z.object({ include_deleted: IncludeDeletedSchema });
