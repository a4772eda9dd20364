import { z } from '@hono/zod-openapi';
import { ConditionalHeadersSchema } from '../../lib/http-cache';
import { authedRoute, jsonBody, jsonContent } from '../../lib/openapi';
import { IdParamSchema } from '../../lib/pagination';
import { idempotency } from '../../middleware/idempotency';
import {
  PostCreateSchema,
  PostListQuerySchema,
  PostPageSchema,
  PostReadQuerySchema,
  PostReadSchema,
  PostReplaceSchema,
  PostUpdateSchema,
} from './posts.schemas';

const tags = ['posts'];

const NOT_MODIFIED = { description: 'Not modified: `If-None-Match` holds the current ETag' };

const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().openapi({
    description: 'Retries with this key replay the first response for 24 h (one row created)',
  }),
});

const VISIBILITY =
  'Readers see published posts and their own drafts; holders of `posts:update` (editors, admins) see every draft. A draft of someone else is 404.';

const EDITING =
  'Holders of `posts:update` (editors, admins) change any post, their own or not; `If-Match` makes the write conditional on the ETag (else 412, nothing changed).';

export const listPosts = authedRoute({
  method: 'get',
  path: '/posts',
  operationId: 'posts.list',
  tags,
  summary: 'List posts',
  description: `${VISIBILITY} Offset paging with \`skip\`, or cursor paging with \`cursor\` (no total, steady on deep pages). ETag and \`If-None-Match\` → 304.`,
  permission: ['posts', 'read'],
  request: { query: PostListQuerySchema, headers: ConditionalHeadersSchema },
  responses: {
    200: jsonContent(PostPageSchema, 'A page of posts'),
    304: NOT_MODIFIED,
  },
});

// #region create
export const createPost = authedRoute({
  method: 'post',
  path: '/posts',
  operationId: 'posts.create',
  tags,
  summary: 'Create a post',
  description:
    'The caller is its author. A draft unless `published`. Send `Idempotency-Key` to make retries safe.',
  permission: ['posts', 'create'],
  request: { body: jsonBody(PostCreateSchema), headers: IdempotencyHeadersSchema },
  use: [idempotency()],
  errors: ['IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'],
  responses: {
    201: jsonContent(PostReadSchema, 'The new post (with `ETag` and `Location`)'),
  },
});
// #endregion create

export const getPost = authedRoute({
  method: 'get',
  path: '/posts/{id}',
  operationId: 'posts.get',
  tags,
  summary: 'Get a post',
  description: `${VISIBILITY} ETag and \`If-None-Match\` → 304.`,
  permission: ['posts', 'read'],
  request: {
    params: IdParamSchema,
    query: PostReadQuerySchema,
    headers: ConditionalHeadersSchema,
  },
  errors: ['NOT_FOUND'],
  responses: {
    200: jsonContent(PostReadSchema, 'The post'),
    304: NOT_MODIFIED,
  },
});

const WRITE_ERRORS = ['NOT_FOUND', 'PRECONDITION_FAILED'] as const;

export const patchPost = authedRoute({
  method: 'patch',
  path: '/posts/{id}',
  operationId: 'posts.update',
  tags,
  summary: 'Update a post',
  description: EDITING,
  permission: ['posts', 'update'],
  request: {
    params: IdParamSchema,
    body: jsonBody(PostUpdateSchema),
    headers: ConditionalHeadersSchema,
  },
  errors: WRITE_ERRORS,
  responses: {
    200: jsonContent(PostReadSchema, 'The updated post'),
  },
});

export const putPost = authedRoute({
  method: 'put',
  path: '/posts/{id}',
  operationId: 'posts.replace',
  tags,
  summary: 'Replace a post',
  description: `${EDITING} A missing \`published\` makes it a draft.`,
  permission: ['posts', 'update'],
  request: {
    params: IdParamSchema,
    body: jsonBody(PostReplaceSchema),
    headers: ConditionalHeadersSchema,
  },
  errors: WRITE_ERRORS,
  responses: {
    200: jsonContent(PostReadSchema, 'The replaced post'),
  },
});

export const deletePost = authedRoute({
  method: 'delete',
  path: '/posts/{id}',
  operationId: 'posts.delete',
  tags,
  summary: 'Delete a post (soft delete)',
  description:
    'Any post. Hidden at once, purged after `SOFT_DELETE_RETENTION_DAYS`. `If-Match` as for PATCH.',
  role: 'admin',
  request: { params: IdParamSchema, headers: ConditionalHeadersSchema },
  errors: WRITE_ERRORS,
  responses: {
    204: { description: 'Deleted' },
  },
});
