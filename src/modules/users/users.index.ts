import { createRouter } from '../../lib/openapi';
import { noStore } from '../../middleware/security';
import { defineModule } from '../module';
import { usersErrors } from './users.errors';
import * as handlers from './users.handlers';
import * as routes from './users.routes';
import { usersTasks } from './users.tasks';

const router = createRouter();
router.use('/users/*', noStore());

/** The signed-in user's profile and sessions, and the superuser's user administration. */
export const usersModule = defineModule({
  name: 'users',
  description: "The current user's account and sessions, and user management for superusers",
  router: router
    .openapi(routes.getMe, handlers.getMe)
    .openapi(routes.patchMe, handlers.patchMe)
    .openapi(routes.listMySessions, handlers.listMySessions)
    .openapi(routes.deleteMySession, handlers.deleteMySession)
    .openapi(routes.listUsers, handlers.listUsers)
    .openapi(routes.getUser, handlers.getUser)
    .openapi(routes.patchUser, handlers.patchUser)
    .openapi(routes.deleteUser, handlers.deleteUser),
  errors: usersErrors,
  tasks: usersTasks,
  // Daily at 03:30 UTC.
  crons: { '30 3 * * *': ['purge_soft_deleted'] },
});
