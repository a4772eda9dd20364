import { createRouter } from '../../lib/openapi';
import { defineModule } from '../module';
import * as handlers from './items.handlers';
import * as routes from './items.routes';
import { itemsTasks } from './items.tasks';

// #region manifest
/** The example resource: owned items with lists, search, ETags, caching and idempotent creates. */
export const itemsModule = defineModule({
  name: 'items',
  description:
    'The example resource: items owned by their creators, with lists, search, ETags and idempotent creates',
  router: createRouter()
    .openapi(routes.listItems, handlers.listItems)
    .openapi(routes.createItem, handlers.createItem)
    .openapi(routes.getItem, handlers.getItem)
    .openapi(routes.patchItem, handlers.patchItem)
    .openapi(routes.putItem, handlers.putItem)
    .openapi(routes.deleteItem, handlers.deleteItem),
  tasks: itemsTasks,
  // Daily at 03:30 UTC, with the users' purge (an expression of wrangler.toml).
  crons: { '30 3 * * *': ['purge_deleted_items'] },
});
// #endregion manifest
