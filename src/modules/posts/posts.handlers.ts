import type { Context } from 'hono';
import type { AuthedEnv } from '../../context';
import {
  contentEtag,
  etagHeaders,
  ifMatchVersions,
  versionEtag,
  withEtag,
} from '../../lib/http-cache';
import { resolveListQuery } from '../../lib/list-query';
import type { AppRouteHandler } from '../../lib/openapi';
import { accessOf, allows } from '../rbac/rbac.policy';
import type * as routes from './posts.routes';
import * as postsService from './posts.service';

/**
 * The caller as the posts rules see them. Whether they hold `posts:update` comes from the same
 * access the route's guard used: no I/O while the policy and their cached roles are unchanged.
 */
async function readerOf(c: Context<AuthedEnv>): Promise<postsService.Reader> {
  const user = c.get('user');
  const editor =
    user.is_superuser ||
    (await allows(await accessOf(c.var, user.id, c.get('preflight')), 'posts', 'update'));
  return { id: user.id, is_superuser: user.is_superuser, editor };
}

export const listPosts: AppRouteHandler<typeof routes.listPosts> = async (c) => {
  const query = resolveListQuery(c.get('settings'), c.req.valid('query'));
  const page = await postsService.listPosts(c.var, await readerOf(c), query);
  return withEtag(c, page, contentEtag(JSON.stringify(page)));
};

export const createPost: AppRouteHandler<typeof routes.createPost> = async (c) => {
  const { post, version } = await postsService.createPost(
    c.var,
    c.get('user'),
    c.req.valid('json'),
  );
  return c.json(post, 201, {
    ...etagHeaders(versionEtag(version)),
    Location: `${c.req.path}/${post.id}`,
  });
};

export const getPost: AppRouteHandler<typeof routes.getPost> = async (c) => {
  const { id } = c.req.valid('param');
  const { include_deleted } = c.req.valid('query');
  const { post, version } = await postsService.getPost(
    c.var,
    await readerOf(c),
    id,
    include_deleted,
  );
  return withEtag(c, post, versionEtag(version));
};

/** PATCH and PUT: the schema decides what may be left out; the write is the same. */
const updatePost = (async (c) => {
  const { post, version } = await postsService.updatePost(
    c.var,
    await readerOf(c),
    c.req.valid('param').id,
    c.req.valid('json'),
    ifMatchVersions(c.req.header('If-Match')),
  );
  return c.json(post, 200, etagHeaders(versionEtag(version)));
}) satisfies AppRouteHandler<typeof routes.patchPost> & AppRouteHandler<typeof routes.putPost>;

export const patchPost: AppRouteHandler<typeof routes.patchPost> = updatePost;
export const putPost: AppRouteHandler<typeof routes.putPost> = updatePost;

export const deletePost: AppRouteHandler<typeof routes.deletePost> = async (c) => {
  await postsService.deletePost(
    c.var,
    c.req.valid('param').id,
    ifMatchVersions(c.req.header('If-Match')),
  );
  return c.body(null, 204);
};
