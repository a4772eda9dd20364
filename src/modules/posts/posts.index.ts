import { createRouter } from '../../lib/openapi';
import { defineModule } from '../module';
import * as handlers from './posts.handlers';
import * as routes from './posts.routes';
import { postsTasks } from './posts.tasks';

/** Posts: drafts and published posts guarded by RBAC, with lists, ETags, caching and idempotent creates. */
export const postsModule = defineModule({
  name: 'posts',
  description:
    'Posts written by authors with the posts permissions; drafts seen by their author and editors',
  router: createRouter()
    .openapi(routes.listPosts, handlers.listPosts)
    .openapi(routes.createPost, handlers.createPost)
    .openapi(routes.getPost, handlers.getPost)
    .openapi(routes.patchPost, handlers.patchPost)
    .openapi(routes.putPost, handlers.putPost)
    .openapi(routes.deletePost, handlers.deletePost),
  tasks: postsTasks,
  // Daily at 03:30 UTC, with the other purges (an expression of wrangler.toml).
  crons: { '30 3 * * *': ['purge_deleted_posts'] },
});
