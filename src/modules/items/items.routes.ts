import { z } from '@hono/zod-openapi';
import { ConditionalHeadersSchema } from '../../lib/http-cache';
import { authedRoute, jsonBody, jsonContent } from '../../lib/openapi';
import { IdParamSchema } from '../../lib/pagination';
import { idempotency } from '../../middleware/idempotency';
import {
  ItemCreateSchema,
  ItemListQuerySchema,
  ItemPageSchema,
  ItemReadQuerySchema,
  ItemReadSchema,
  ItemReplaceSchema,
  ItemUpdateSchema,
} from './items.schemas';

const tags = ['items'];

const NOT_MODIFIED = { description: 'Not modified: `If-None-Match` holds the current ETag' };

const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().openapi({
    description: 'Retries with this key replay the first response for 24 h (one row created)',
  }),
});

const OWNERSHIP =
  'Items are their creator’s: anyone else gets 404 (a superuser sees and changes all).';

export const listItems = authedRoute({
  method: 'get',
  path: '/items',
  operationId: 'items.list',
  tags,
  summary: 'List my items',
  description: `${OWNERSHIP} Offset paging with \`skip\`, or cursor paging with \`cursor\` (no total, steady on deep pages). ETag and \`If-None-Match\` → 304.`,
  request: { query: ItemListQuerySchema, headers: ConditionalHeadersSchema },
  errors: ['FORBIDDEN'],
  responses: {
    200: jsonContent(ItemPageSchema, 'A page of items'),
    304: NOT_MODIFIED,
  },
});

export const createItem = authedRoute({
  method: 'post',
  path: '/items',
  operationId: 'items.create',
  tags,
  summary: 'Create an item',
  description: 'Send `Idempotency-Key` to make retries safe.',
  request: { body: jsonBody(ItemCreateSchema), headers: IdempotencyHeadersSchema },
  use: [idempotency()],
  errors: ['IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'],
  responses: {
    201: jsonContent(ItemReadSchema, 'The new item (with `ETag` and `Location`)'),
  },
});

// #region get-item
export const getItem = authedRoute({
  method: 'get',
  path: '/items/{id}',
  operationId: 'items.get',
  tags,
  summary: 'Get an item',
  description: `${OWNERSHIP} ETag and \`If-None-Match\` → 304.`,
  request: {
    params: IdParamSchema,
    query: ItemReadQuerySchema,
    headers: ConditionalHeadersSchema,
  },
  errors: ['NOT_FOUND', 'FORBIDDEN'],
  responses: {
    200: jsonContent(ItemReadSchema, 'The item'),
    304: NOT_MODIFIED,
  },
});
// #endregion get-item

const WRITE_ERRORS = ['NOT_FOUND', 'PRECONDITION_FAILED'] as const;

export const patchItem = authedRoute({
  method: 'patch',
  path: '/items/{id}',
  operationId: 'items.update',
  tags,
  summary: 'Update an item',
  description: `${OWNERSHIP} With \`If-Match\`, only if the item still has that ETag (else 412, nothing changed).`,
  request: {
    params: IdParamSchema,
    body: jsonBody(ItemUpdateSchema),
    headers: ConditionalHeadersSchema,
  },
  errors: WRITE_ERRORS,
  responses: {
    200: jsonContent(ItemReadSchema, 'The updated item'),
  },
});

export const putItem = authedRoute({
  method: 'put',
  path: '/items/{id}',
  operationId: 'items.replace',
  tags,
  summary: 'Replace an item',
  description: `${OWNERSHIP} A missing \`description\` becomes null. \`If-Match\` as for PATCH.`,
  request: {
    params: IdParamSchema,
    body: jsonBody(ItemReplaceSchema),
    headers: ConditionalHeadersSchema,
  },
  errors: WRITE_ERRORS,
  responses: {
    200: jsonContent(ItemReadSchema, 'The replaced item'),
  },
});

export const deleteItem = authedRoute({
  method: 'delete',
  path: '/items/{id}',
  operationId: 'items.delete',
  tags,
  summary: 'Delete an item (soft delete)',
  description: `${OWNERSHIP} Hidden at once, purged after \`SOFT_DELETE_RETENTION_DAYS\`. \`If-Match\` as for PATCH.`,
  request: { params: IdParamSchema, headers: ConditionalHeadersSchema },
  errors: WRITE_ERRORS,
  responses: {
    204: { description: 'Deleted' },
  },
});
