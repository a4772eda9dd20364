import { z } from '@hono/zod-openapi';
import { IncludeDeletedSchema, listPageOf, listQuerySchema } from '../../lib/list-query';
import { int32, timestamp } from '../../lib/schema-fields';

const title = z.string().trim().min(1).max(255).openapi({ example: 'Hello, edge' });
const content = z.string().max(100_000).openapi({ example: 'Our first post.' });
const published = z.boolean().openapi({ description: 'Readers see only published posts' });

export const PostReadSchema = z
  .object({
    id: int32(1),
    title: z.string().max(255),
    content: z.string().max(100_000),
    published: z.boolean(),
    author_id: int32(1),
    created_at: timestamp(),
    updated_at: timestamp(),
    deleted_at: timestamp().nullable(),
  })
  .openapi('Post');

export type PostRead = z.infer<typeof PostReadSchema>;

/** Strict: `author_id`, `id` or any other field the server owns is a 422. A new post is a draft unless `published`. */
export const PostCreateSchema = z
  .strictObject({ title, content, published: published.optional().default(false) })
  .openapi('PostCreate');

export type PostCreate = z.infer<typeof PostCreateSchema>;

/** PATCH: any subset of the fields. */
export const PostUpdateSchema = z
  .strictObject({
    title: title.optional(),
    content: content.optional(),
    published: published.optional(),
  })
  .openapi('PostUpdate');

export type PostUpdate = z.infer<typeof PostUpdateSchema>;

/** PUT: the whole representation; a missing `published` becomes false (a draft). */
export const PostReplaceSchema = z
  .strictObject({ title, content, published: published.optional().default(false) })
  .openapi('PostReplace');

export const PostPageSchema = listPageOf(PostReadSchema).openapi('PostPage');

export const PostListQuerySchema = listQuerySchema(
  ['created_at', 'updated_at', 'title'],
  '-created_at',
);

export const PostReadQuerySchema = z.object({ include_deleted: IncludeDeletedSchema });
