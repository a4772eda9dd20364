import { createRouter } from '../../lib/openapi';
import * as handlers from './jobs.handlers';
import * as routes from './jobs.routes';

/** `POST /jobs/{task}`: where QStash delivers queued tasks. */
export const jobsRouter = createRouter();
jobsRouter.openAPIRegistry.registerComponent('securitySchemes', routes.QSTASH_SIGNATURE, {
  type: 'apiKey',
  in: 'header',
  name: 'Upstash-Signature',
  description: 'The JWT QStash signs each delivery with (current or next signing key).',
});
jobsRouter.openAPIRegistry.registerPath(routes.run);
jobsRouter.post(routes.run.getRoutingPath(), handlers.run);
