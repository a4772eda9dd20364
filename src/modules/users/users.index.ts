import { createRouter } from '../../lib/openapi';
import { noStore } from '../../middleware/security';
import * as handlers from './users.handlers';
import * as routes from './users.routes';

export const usersRouter = createRouter();
usersRouter.use('/users/*', noStore());
usersRouter
  .openapi(routes.getMe, handlers.getMe)
  .openapi(routes.patchMe, handlers.patchMe)
  .openapi(routes.listMySessions, handlers.listMySessions)
  .openapi(routes.deleteMySession, handlers.deleteMySession)
  .openapi(routes.listUsers, handlers.listUsers)
  .openapi(routes.getUser, handlers.getUser)
  .openapi(routes.patchUser, handlers.patchUser)
  .openapi(routes.deleteUser, handlers.deleteUser);
