import { createRouter } from '../../lib/openapi';
import { defineModule } from '../module';
import { jobsErrors } from './jobs.errors';
import * as handlers from './jobs.handlers';
import * as routes from './jobs.routes';
import { jobsTasks } from './jobs.tasks';

const router = createRouter();
router.openAPIRegistry.registerComponent('securitySchemes', routes.QSTASH_SIGNATURE, {
  type: 'apiKey',
  in: 'header',
  name: 'Upstash-Signature',
  description: 'The JWT QStash signs each delivery with (current or next signing key).',
});
router.openAPIRegistry.registerPath(routes.run);
router.post(routes.run.getRoutingPath(), handlers.run);

/** `POST /jobs/{task}`: where QStash delivers the tasks every module declares. */
export const jobsModule = defineModule({
  name: 'jobs',
  description:
    'Queued tasks delivered by QStash (signed webhook deliveries, never called by clients)',
  router,
  errors: jobsErrors,
  tasks: jobsTasks,
});
