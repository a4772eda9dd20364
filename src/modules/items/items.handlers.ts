import {
  contentEtag,
  etagHeaders,
  ifMatchVersions,
  versionEtag,
  withEtag,
} from '../../lib/http-cache';
import { resolveListQuery } from '../../lib/list-query';
import type { AppRouteHandler } from '../../lib/openapi';
import type * as routes from './items.routes';
import * as itemsService from './items.service';

export const listItems: AppRouteHandler<typeof routes.listItems> = async (c) => {
  const query = resolveListQuery(c.get('settings'), c.req.valid('query'));
  const page = await itemsService.listItems(c.var, c.get('user'), query);
  return withEtag(c, page, contentEtag(JSON.stringify(page)));
};

export const createItem: AppRouteHandler<typeof routes.createItem> = async (c) => {
  const { item, version } = await itemsService.createItem(
    c.var,
    c.get('user'),
    c.req.valid('json'),
  );
  return c.json(item, 201, {
    ...etagHeaders(versionEtag(version)),
    Location: `${c.req.path}/${item.id}`,
  });
};

// #region get-item
export const getItem: AppRouteHandler<typeof routes.getItem> = async (c) => {
  const { id } = c.req.valid('param');
  const { include_deleted } = c.req.valid('query');
  const { item, version } = await itemsService.getItem(c.var, c.get('user'), id, include_deleted);
  return withEtag(c, item, versionEtag(version));
};
// #endregion get-item

/** PATCH and PUT: the schema decides what may be left out; the write is the same. */
const updateItem = (async (c) => {
  const { item, version } = await itemsService.updateItem(
    c.var,
    c.get('user'),
    c.req.valid('param').id,
    c.req.valid('json'),
    ifMatchVersions(c.req.header('If-Match')),
  );
  return c.json(item, 200, etagHeaders(versionEtag(version)));
}) satisfies AppRouteHandler<typeof routes.patchItem> & AppRouteHandler<typeof routes.putItem>;

export const patchItem: AppRouteHandler<typeof routes.patchItem> = updateItem;
export const putItem: AppRouteHandler<typeof routes.putItem> = updateItem;

export const deleteItem: AppRouteHandler<typeof routes.deleteItem> = async (c) => {
  await itemsService.deleteItem(
    c.var,
    c.get('user'),
    c.req.valid('param').id,
    ifMatchVersions(c.req.header('If-Match')),
  );
  return c.body(null, 204);
};
